import type { Stats } from 'node:fs';
import { fs } from '../builtins.ts';
import { type Endpoint, formatEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, isIpcError, systemCode } from '../errors.ts';
import { type BindOptions, bindPath } from './bind.ts';

export { removeStale } from './bind.ts';

import { DESCRIPTOR_MAX_BYTES, parseDescriptor } from './descriptor.ts';
import { createNetServer, type Listener, listenServer, NetListener } from './listener.ts';
import { isAbstract } from './socket-path.ts';
import { connectSocket, type OnReadOpts, type Socket } from './sockets.ts';
import {
  type ClientTrust,
  checkDescriptorMode,
  checkServerPath,
  checkTcpPeer,
  isLoopback,
  permissionCulprit,
  trustedUids,
} from './trust.ts';

export type { BindOptions } from './bind.ts';
export type { Listener } from './listener.ts';
export { reachableOverUnix, SUN_PATH_MAX } from './socket-path.ts';
export type { Socket } from './sockets.ts';
export { type ClientTrust, readTcpTable, socketUid, trustedUids } from './trust.ts';

export interface ListenOptions extends BindOptions {
  /** For explicit tcp:// endpoints: require this token in the hello. */
  token?: string | undefined;
}

/** A plain listen (no file to manage): TCP, or an abstract or Windows pipe name. */
async function listenPlain(
  address: { path: string } | { host: string; port: number },
  where: string,
  backlog: number | undefined,
) {
  const server = createNetServer();
  try {
    await listenServer(server, { ...address, backlog });
  } catch (error) {
    throw new IpcError(
      systemCode(error) === 'EADDRINUSE' ? ErrorCodes.ADDR_IN_USE : ErrorCodes.LISTEN,
      `cannot listen on ${where}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return server;
}

/** Listens on an endpoint: safe bind for paths, plain listen for TCP and abstract names. */
export async function listen(endpoint: Endpoint, options: ListenOptions): Promise<Listener> {
  if (endpoint.kind === 'tcp') {
    if (options.transport === 'unix') {
      throw new IpcError(ErrorCodes.BAD_ENDPOINT, `transport 'unix' cannot serve a tcp:// endpoint`);
    }
    const server = await listenPlain(
      { host: endpoint.host, port: endpoint.port },
      formatEndpoint(endpoint),
      options.backlog,
    );
    const { port } = server.address() as { port: number };
    return new NetListener(server, 'tcp', formatEndpoint({ ...endpoint, port }), undefined, options.token);
  }
  if (isAbstract(endpoint.path) || process.platform === 'win32') {
    if (options.transport === 'tcp') {
      throw new IpcError(
        ErrorCodes.BAD_ENDPOINT,
        `transport 'tcp' needs a filesystem path for its descriptor`,
      );
    }
    const server = await listenPlain({ path: endpoint.path }, displayPath(endpoint.path), options.backlog);
    return new NetListener(server, 'unix', formatEndpoint(endpoint), undefined);
  }
  return bindPath(endpoint.path, options);
}

export interface Dialed {
  socket: Socket;
  transport: 'unix' | 'tcp';
  /** The token to present in the hello (from the descriptor, or the caller's). */
  token: string | undefined;
}

/**
 * What to write on the socket as soon as connect() is issued (see `Greet` in
 * sockets.ts), given the token the hello must present on that socket.
 */
export type Opening = (socket: Socket, token: string | undefined) => void;

function connectError(where: string, error: unknown, stale: string): IpcError {
  const code = systemCode(error);
  const why =
    code === 'ECONNREFUSED'
      ? stale
      : code === 'ENOENT'
        ? 'no such file: is the server running?'
        : code === 'EACCES' && !isAbstract(where)
          ? `permission denied: ${permissionCulprit(where)}`
          : code === 'ETIMEDOUT'
            ? 'timed out'
            : code === 'EAGAIN'
              ? 'the server is overloaded (its listen backlog stayed full)'
              : (error as Error)?.message;
  return new IpcError(ErrorCodes.CONNECT, `cannot connect to ${where}: ${why}`, { cause: error });
}

export interface DialOptions {
  /** The caller's token, for an explicit tcp:// endpoint (a descriptor brings its own). */
  token?: string | undefined;
  /** Node's `onread` socket option: reads into the caller's buffers (no 'data' events). */
  onread?: OnReadOpts | undefined;
  /**
   * Bytes to queue on the socket before it is connected (call()'s hello and
   * request), written once the token for that socket is known. Over a
   * descriptor's TCP port, written once the peer is known to be trusted.
   */
  opening?: Opening | undefined;
  /** Whose sockets and descriptors to trust (default: this user and root). */
  trust?: ClientTrust | undefined;
}

/**
 * Connects to an endpoint; a path may hold a socket or a TCP descriptor.
 * Before a byte is sent to a path, what is there (and every directory above
 * it) must belong to a trusted uid (trust.ts): ERR_IPC_UNTRUSTED otherwise.
 */
export async function dial(
  endpoint: Endpoint,
  timeoutMs: number,
  options: DialOptions = {},
): Promise<Dialed> {
  const { token, onread, opening } = options;
  const greet = (withToken: string | undefined) =>
    opening && ((socket: Socket) => opening(socket, withToken));
  if (endpoint.kind === 'tcp') {
    const where = `tcp://${endpoint.host}:${endpoint.port}`;
    const socket = await connectSocket(endpoint, timeoutMs, onread, greet(token)).catch((error) => {
      throw connectError(where, error, 'connection refused (nothing is listening on that port)');
    });
    return { socket, transport: 'tcp', token };
  }
  const path = endpoint.path;
  const stale = 'connection refused: nothing is listening (a stale socket?)';
  if (isAbstract(path) || process.platform === 'win32') {
    // No file to check: like tcp://, an abstract name or a pipe is the caller's explicit choice.
    const socket = await connectSocket({ path }, timeoutMs, onread, greet(token)).catch((error) => {
      throw connectError(displayPath(path), error, stale);
    });
    return { socket, transport: 'unix', token };
  }
  const trust = options.trust ?? defaultTrust();
  let st: Stats | undefined;
  try {
    st = checkServerPath(path, trust);
  } catch (error) {
    if (isIpcError(error)) throw error;
    throw connectError(path, error, stale);
  }
  if (st === undefined) throw connectError(path, enoent(path), stale);
  if (st.isSocket()) {
    const socket = await connectSocket({ path }, timeoutMs, onread, greet(token)).catch((error) => {
      throw connectError(path, error, stale);
    });
    return { socket, transport: 'unix', token };
  }
  const descriptor =
    st.isFile() && st.size <= DESCRIPTOR_MAX_BYTES ? parseDescriptor(readTextSync(path)) : undefined;
  if (descriptor === undefined) {
    throw new IpcError(
      ErrorCodes.CONNECT,
      `cannot connect to ${path}: it is ${st.isDirectory() ? 'a directory' : 'a file'}, not a socket or a unixipc descriptor`,
    );
  }
  checkDescriptorMode(path, st, trust);
  const where = `${path} (tcp://${descriptor.host}:${descriptor.port})`;
  if (!isLoopback(descriptor.host)) {
    throw new IpcError(
      ErrorCodes.UNTRUSTED,
      `refusing ${where}: a descriptor may only point at loopback (127.0.0.0/8 or ::1), not ${descriptor.host}`,
    );
  }
  // Nothing is queued before the connect here: first make sure the port is still our server's.
  const socket = await connectSocket(descriptor, timeoutMs, onread).catch((error) => {
    throw connectError(where, error, 'its server is gone (a stale TCP descriptor)');
  });
  try {
    checkTcpPeer(
      where,
      { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      { address: socket.remoteAddress ?? descriptor.host, port: descriptor.port },
      trust,
    );
  } catch (error) {
    socket.destroy();
    throw error;
  }
  opening?.(socket, descriptor.token);
  return { socket, transport: 'tcp', token: descriptor.token };
}

let cachedTrust: ClientTrust | undefined;

function defaultTrust(): ClientTrust {
  cachedTrust ??= { trusted: trustedUids(undefined), allowSharedDescriptor: false, allowSharedDir: false };
  return cachedTrust;
}

/** The trust a client's options ask for (this user and root, plus what they name). */
export function clientTrust(options: {
  trustUid?: number | readonly number[] | undefined;
  allowSharedDescriptor?: boolean | undefined;
  allowSharedDir?: boolean | undefined;
}): ClientTrust {
  if (options.trustUid === undefined && !options.allowSharedDescriptor && !options.allowSharedDir) {
    return defaultTrust();
  }
  return {
    trusted: trustedUids(options.trustUid),
    allowSharedDescriptor: options.allowSharedDescriptor === true,
    allowSharedDir: options.allowSharedDir === true,
  };
}

function enoent(path: string): Error {
  return Object.assign(new Error(`no such file: ${path}`), { code: 'ENOENT' });
}

/** An abstract name as people write it ("\\0name" would print a raw NUL). */
export function displayPath(path: string): string {
  return isAbstract(path) ? `@${path.slice(1)} (abstract)` : path;
}

function readTextSync(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export { inspectPath, type PathState } from './inspect.ts';
