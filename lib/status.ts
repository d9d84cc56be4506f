import { type EndpointInput, parseEndpoint } from './endpoint.ts';
import { ErrorCodes, IpcError } from './errors.ts';
import { inspectPath } from './transport/index.ts';

export interface PathStatus {
  /**
   * 'absent': nothing there. 'live': a server answers. 'stale': a socket or
   * descriptor nobody serves (the next serve() reclaims it). 'occupied':
   * something that is not ours (serve() refuses to touch it).
   */
  state: 'absent' | 'live' | 'stale' | 'occupied';
  /** 'socket', 'descriptor', or for 'occupied' what is there: 'file', 'directory', 'symlink', 'fifo', ... */
  kind?: string;
  /** For a descriptor: the TCP server's pid and port. */
  pid?: number;
  port?: number;
}

/**
 * Tells what is at a socket path without changing anything: "is my daemon running?".
 *
 * @example if ((await probePath(path)).state !== 'live') spawnDaemon();
 */
export async function probePath(endpoint: EndpointInput): Promise<PathStatus> {
  const parsed = parseEndpoint(endpoint);
  if (parsed.kind !== 'path' || parsed.path.startsWith('\0')) {
    throw new IpcError(ErrorCodes.BAD_ENDPOINT, 'probePath() takes a filesystem socket path');
  }
  const found = await inspectPath(parsed.path);
  if (found.state === 'absent') return { state: 'absent' };
  if ('descriptor' in found) {
    return { state: found.state, kind: 'descriptor', pid: found.descriptor.pid, port: found.descriptor.port };
  }
  return { state: found.state, kind: found.kind };
}
