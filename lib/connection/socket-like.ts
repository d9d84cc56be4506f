/**
 * A socket, seen through the methods the connection uses. A `net.Socket` fits it; the
 * connection never imports `node:net`, so it runs the same over AF_UNIX and TCP.
 */
export interface SocketLike {
  write(data: Uint8Array): boolean;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(error?: Error): unknown;
  readonly writableLength: number;
  readonly destroyed: boolean;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'end', listener: () => void): unknown;
  on(event: 'close', listener: (hadError: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}
