import type { OnReadOpts, Socket } from 'node:net';
import { net, sleep } from '../builtins.ts';
import { systemCode } from '../errors.ts';
import { abstractAddress, isAbstract, shortAddress } from './socket-path.ts';

export type { OnReadOpts, Socket };

export type Target = { path: string } | { host: string; port: number };

function ignore(): void {}

/** Extra `net.connect` options for a TCP connect (node-ipc's `config.interface`). */
export interface TcpOptions {
  localAddress?: string;
  localPort?: number;
  family?: number;
  hints?: number;
  lookup?: (...args: any[]) => void;
}

/**
 * Called on each new socket right after connect() is issued, before it is
 * connected: what it writes is queued, and Node writes it in its own handling
 * of the connect, before the promise chain that reports the connection runs.
 */
export type Greet = (socket: Socket) => void;

/** One connect attempt; resolves with the socket or rejects with the system error. */
function attempt(
  target: Target,
  deadline: number,
  onread: OnReadOpts | undefined,
  greet: Greet | undefined,
  tcp: TcpOptions | undefined,
): Promise<Socket> {
  const short =
    'path' in target
      ? isAbstract(target.path)
        ? { address: process.platform === 'linux' ? abstractAddress(target.path) : target.path, release() {} }
        : shortAddress(target.path)
      : undefined;
  if ('path' in target && short === undefined) {
    return Promise.reject(
      Object.assign(new Error(`socket path too long: ${target.path}`), { code: 'ENAMETOOLONG' }),
    );
  }
  return new Promise((resolve, reject) => {
    const socket =
      'path' in target
        ? net().connect({ path: short!.address, onread })
        : net().connect({ ...tcp, port: target.port, host: target.host, onread });
    // Never without an 'error' listener, also after the connect and before whoever takes the socket
    // listens: an EPIPE from a write queued before the connect must not crash the process. Who takes
    // it reads `socket.errored` if it finds the socket destroyed already.
    socket.on('error', ignore);
    // Before the first write: a TCP frame must not wait for Nagle.
    if (!('path' in target)) socket.setNoDelay(true);
    greet?.(socket);
    const timer = setTimeout(
      () => {
        socket.destroy();
        reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
      },
      Math.max(1, deadline - Date.now()),
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      short?.release();
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      short?.release();
      reject(error);
    };
    socket.once('error', onError);
  });
}

/**
 * Connects within `timeoutMs`. On AF_UNIX a full listen backlog fails at once
 * with EAGAIN instead of queueing as TCP does: retry that with a short backoff.
 * `onread`: Node's option for reading into buffers of the caller's (no 'data' events).
 * `greet`: see {@link Greet}; it runs again on the socket of each retry.
 * `tcp`: extra `net.connect` options for a TCP target.
 */
export async function connectSocket(
  target: Target,
  timeoutMs: number,
  onread?: OnReadOpts,
  greet?: Greet,
  tcp?: TcpOptions,
): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 0; ; tries++) {
    try {
      return await attempt(target, deadline, onread, greet, tcp);
    } catch (error) {
      if (systemCode(error) !== 'EAGAIN' || Date.now() >= deadline) throw error;
      await sleep(Math.min(1 + tries, 20) * (0.5 + Math.random()));
    }
  }
}

export type ProbeResult = 'live' | 'dead' | 'gone';

/**
 * Is anyone listening there? 'dead': refused (a stale socket or closed port);
 * 'gone': the path vanished; 'live' otherwise, including "cannot tell": a
 * timeout or a permission error never leads to removing anything.
 */
export async function probe(target: Target, timeoutMs = 500): Promise<ProbeResult> {
  try {
    const socket = await connectSocket(target, timeoutMs);
    socket.destroy();
    return 'live';
  } catch (error) {
    const code = systemCode(error);
    if (code === 'ECONNREFUSED') return 'dead';
    if (code === 'ENOENT') return 'gone';
    return 'live';
  }
}
