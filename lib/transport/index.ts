import type { Stats } from 'node:fs';
import { fs, net } from '../builtins.ts';
import { type Endpoint, formatEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { type BindOptions, bindPath } from './bind.ts';
import { DESCRIPTOR_MAX_BYTES, parseDescriptor } from './descriptor.ts';
import { type Listener, listenServer, NetListener } from './listener.ts';
import { isAbstract } from './socket-path.ts';
import { connectSocket, type OnReadOpts, type Socket, type TcpOptions } from './sockets.ts';

export type { BindOptions } from './bind.ts';
export type { Listener } from './listener.ts';
export { reachableOverUnix, SUN_PATH_MAX } from './socket-path.ts';
export type { Socket, TcpOptions } from './sockets.ts';
export { bindUdp, type RemoteInfo, type UdpEndpoint } from './udp.ts';

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
  const server = net().createServer();
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
    const server = await listenPlain({ path: endpoint.path }, JSON.stringify(endpoint.path), options.backlog);
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
        : code === 'EACCES'
          ? 'permission denied (the socket belongs to another user or its mode forbids you)'
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
   * request), written once the token for that socket is known.
   */
  opening?: Opening | undefined;
  /** Extra `net.connect` options for a tcp:// endpoint (node-ipc's `config.interface`). */
  tcp?: TcpOptions | undefined;
}

/** Connects to an endpoint; a path may hold a socket or a TCP descriptor. */
export async function dial(
  endpoint: Endpoint,
  timeoutMs: number,
  options: DialOptions = {},
): Promise<Dialed> {
  const { token, onread, opening, tcp } = options;
  const greet = (withToken: string | undefined) =>
    opening && ((socket: Socket) => opening(socket, withToken));
  if (endpoint.kind === 'tcp') {
    const where = `tcp://${endpoint.host}:${endpoint.port}`;
    const socket = await connectSocket(endpoint, timeoutMs, onread, greet(token), tcp).catch((error) => {
      throw connectError(where, error, 'connection refused (nothing is listening on that port)');
    });
    return { socket, transport: 'tcp', token };
  }
  const path = endpoint.path;
  const stale = 'connection refused: nothing is listening (a stale socket?)';
  let refused: unknown;
  try {
    // Connect first and look at the file only if that fails: a CLI's one call stays one syscall
    // away from its answer, and no fs/promises call wakes libuv's thread pool in a fresh process.
    return {
      socket: await connectSocket({ path }, timeoutMs, onread, greet(token)),
      transport: 'unix',
      token,
    };
  } catch (error) {
    const code = systemCode(error);
    if (code !== 'ECONNREFUSED' && code !== 'ENOTSOCK' && code !== 'ENAMETOOLONG') {
      throw connectError(path, error, stale);
    }
    refused = error;
  }
  if (isAbstract(path) || process.platform === 'win32') throw connectError(path, refused, stale);
  let st: Stats;
  try {
    st = fs.statSync(path);
  } catch (error) {
    throw connectError(path, error, stale);
  }
  if (st.isSocket()) throw connectError(path, refused, stale);
  if (st.isFile() && st.size <= DESCRIPTOR_MAX_BYTES) {
    const descriptor = parseDescriptor(readTextSync(path));
    if (descriptor !== undefined) {
      const where = `${path} (tcp://${descriptor.host}:${descriptor.port})`;
      const socket = await connectSocket(descriptor, timeoutMs, onread, greet(descriptor.token)).catch(
        (error) => {
          throw connectError(where, error, 'its server is gone (a stale TCP descriptor)');
        },
      );
      return { socket, transport: 'tcp', token: descriptor.token };
    }
  }
  throw new IpcError(
    ErrorCodes.CONNECT,
    `cannot connect to ${path}: it is ${st.isDirectory() ? 'a directory' : 'a file'}, not a socket or a unixipc descriptor`,
  );
}

function readTextSync(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export { inspectPath, type PathState } from './inspect.ts';
