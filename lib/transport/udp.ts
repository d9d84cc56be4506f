import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';

export type { RemoteInfo };

/**
 * A bound UDP socket, for node-ipc's `serveNet(host, port, 'udp4' | 'udp6')`
 * (unixipc itself has no datagram transport): one message per datagram, no
 * connections. Here because only the transport layer touches sockets.
 */
export interface UdpEndpoint {
  readonly type: 'udp4' | 'udp6';
  /** The bound address and port (port 0 given: the one picked). */
  address(): { address: string; port: number };
  onMessage(handler: (message: Buffer, from: RemoteInfo) => void): void;
  /** Errors after binding (a failed send, for one). */
  onError(handler: (error: Error) => void): void;
  /** Sends one datagram; a send error goes to the callback, never thrown. */
  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Binds a UDP socket; EADDRINUSE is ERR_IPC_ADDR_IN_USE, any other failure ERR_IPC_LISTEN. */
export function bindUdp(type: 'udp4' | 'udp6', host: string, port: number): Promise<UdpEndpoint> {
  const socket: DgramSocket = process.getBuiltinModule('node:dgram').createSocket(type);
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      socket.close();
      reject(
        new IpcError(
          systemCode(error) === 'EADDRINUSE' ? ErrorCodes.ADDR_IN_USE : ErrorCodes.LISTEN,
          `cannot bind ${type} ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.removeListener('error', onError);
      debug('udp %s: bound %s:%d', type, host, socket.address().port);
      resolve(new DgramEndpoint(socket, type));
    });
  });
}

class DgramEndpoint implements UdpEndpoint {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly socket: DgramSocket,
    readonly type: 'udp4' | 'udp6',
  ) {}

  address(): { address: string; port: number } {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  onMessage(handler: (message: Buffer, from: RemoteInfo) => void): void {
    this.socket.on('message', handler);
  }

  onError(handler: (error: Error) => void): void {
    this.socket.on('error', handler);
  }

  send(message: Buffer, port: number, address: string, done?: (error: Error | null) => void): void {
    try {
      this.socket.send(message, port, address, (error) => done?.(error ?? null));
    } catch (error) {
      // Thrown at once for a bad port or a closed socket: report it the same way.
      done?.(error as Error);
    }
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => this.socket.close(() => resolve()));
    return this.closing;
  }
}
