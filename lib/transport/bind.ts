import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crypto, dirname, fsp, join, net } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { DESCRIPTOR_VERSION, newToken, writeDescriptorTemp } from './descriptor.ts';
import { inspectPath } from './inspect.ts';
import { type Listener, listenServer, NetListener } from './listener.ts';
import { acquirePathLock } from './lock.ts';
import { reachableOverUnix, shortAddress } from './socket-path.ts';

export interface BindOptions {
  transport: 'auto' | 'unix' | 'tcp';
  backlog?: number | undefined;
  /** Mode of the socket file or descriptor. @default 0o600 */
  mode?: number | undefined;
  /** Allow a directory that other users can write to (no sticky bit). @default false */
  allowSharedDir?: boolean | undefined;
  /** How long to wait for another process that is binding the same path. @default 5000 */
  lockTimeout?: number | undefined;
}

/** Errors after which AF_UNIX cannot serve this path but TCP can (under 'auto'). */
const FALLBACK_CODES = new Set([
  'EOPNOTSUPP',
  'ENOTSUP',
  'EAFNOSUPPORT',
  'EPROTONOSUPPORT',
  'ENAMETOOLONG',
  'EPERM',
]);

function listenError(path: string, what: string, cause: unknown): IpcError {
  const code = systemCode(cause);
  return new IpcError(
    ErrorCodes.LISTEN,
    `cannot ${what} ${path}${code ? ` (${code})` : ''}: ${(cause as Error)?.message}`,
    {
      cause,
    },
  );
}

/**
 * Creates the parent directory (0700) if missing and refuses one that other
 * users could write to: they could replace our socket with theirs.
 */
async function prepareDir(dir: string, allowShared: boolean): Promise<void> {
  let mkdirError: unknown;
  try {
    await fsp().mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    // EEXIST/ENOTDIR: something that is not a directory is in the way; say so below.
    if (systemCode(error) !== 'EEXIST' && systemCode(error) !== 'ENOTDIR') {
      throw listenError(dir, 'create the directory', error);
    }
    mkdirError = error;
  }
  let st: Stats;
  try {
    st = await fsp().stat(dir);
  } catch (error) {
    throw listenError(dir, 'inspect the directory', error);
  }
  if (!st.isDirectory()) {
    throw new IpcError(ErrorCodes.LISTEN, `cannot listen in ${dir}: it is not a directory`, {
      cause: mkdirError,
    });
  }
  const sticky = (st.mode & 0o1000) !== 0;
  if (!allowShared && (st.mode & 0o022) !== 0 && !sticky) {
    throw new IpcError(
      ErrorCodes.LISTEN,
      `refusing to create a socket in ${dir} (mode ${(st.mode & 0o7777).toString(8)}): other users can write ` +
        'there and could replace it; use a private directory or pass { allowSharedDir: true }',
    );
  }
}

/** Removes PATH only if it is still the file we inspected; false if it changed meanwhile. */
async function unlinkIfSame(path: string, seen: Stats): Promise<boolean> {
  let now: Stats;
  try {
    now = await fsp().lstat(path);
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return true;
    throw listenError(path, 'inspect', error);
  }
  if (now.ino !== seen.ino || now.dev !== seen.dev) return false;
  try {
    await fsp().unlink(path);
  } catch (error) {
    if (systemCode(error) !== 'ENOENT') throw listenError(path, 'remove the stale file at', error);
  }
  return true;
}

/**
 * Makes PATH free, or throws: a live server (socket or descriptor) →
 * ERR_IPC_ADDR_IN_USE; anything that is not ours to remove →
 * ERR_IPC_PATH_OCCUPIED, untouched. A stale socket or descriptor is removed.
 * Returns false when the path changed under us and should be looked at again.
 */
async function clearPath(path: string): Promise<boolean> {
  const found = await inspectPath(path);
  switch (found.state) {
    case 'absent':
      return true;
    case 'live': {
      const d = found.kind === 'descriptor' ? found.descriptor : undefined;
      debug('bind %s: a live server answers there%s', path, d ? ` (pid ${d.pid}, tcp port ${d.port})` : '');
      throw new IpcError(
        ErrorCodes.ADDR_IN_USE,
        d
          ? `${path}: a server (pid ${d.pid}, tcp port ${d.port}) is already serving this path`
          : `${path}: a server is already listening there`,
      );
    }
    case 'stale':
      debug(
        'bind %s: stale %s (%s), removing it',
        path,
        found.kind,
        found.kind === 'socket' ? 'connection refused' : 'its server is gone',
      );
      return unlinkIfSame(path, found.stat);
    case 'occupied': {
      const what = found.kind === 'file' ? 'a regular file' : `a ${found.kind}`;
      debug('bind %s: %s is in the way, leaving it alone', path, what);
      throw new IpcError(
        ErrorCodes.PATH_OCCUPIED,
        `${path} is ${what}, not a socket: refusing to remove or replace it`,
      );
    }
  }
}

/** Binds under a temporary name in the same directory, then links it into place. */
async function bindUnix(path: string, options: BindOptions): Promise<Listener | undefined> {
  const temp = join(dirname(path), `.uipc-${crypto().randomBytes(6).toString('hex')}`);
  const short = shortAddress(temp);
  if (short === undefined) {
    throw new IpcError(
      ErrorCodes.PATH_TOO_LONG,
      `${path}: the directory name is too long for a socket address`,
    );
  }
  const server = net().createServer();
  try {
    await listenServer(server, { path: short.address, backlog: options.backlog });
  } catch (error) {
    short.release();
    throw error;
  }
  try {
    await fsp().chmod(temp, options.mode ?? 0o600);
    try {
      await fsp().link(temp, path);
    } catch (error) {
      if (systemCode(error) === 'EEXIST') {
        server.close();
        short.release();
        return undefined;
      }
      throw error;
    }
    const st = await fsp().lstat(path);
    await fsp().unlink(temp);
    debug('bind %s: listening (AF_UNIX, bound as %s)', path, short.address);
    return new NetListener(server, 'unix', `unix:${path}`, {
      path,
      ino: st.ino,
      dev: st.dev,
      release: short.release,
    });
  } catch (error) {
    server.close(); // libuv unlinks the temporary name
    short.release();
    throw listenError(path, 'create the socket', error);
  }
}

/** The fallback: TCP on 127.0.0.1 and a descriptor file (port, token) at the path. */
async function bindTcp(path: string, options: BindOptions): Promise<Listener | undefined> {
  const server = net().createServer();
  try {
    await listenServer(server, { host: '127.0.0.1', port: 0, backlog: options.backlog });
  } catch (error) {
    throw listenError('tcp://127.0.0.1:0', 'listen on', error);
  }
  const { port } = server.address() as { port: number };
  const token = newToken();
  let handle: FileHandle | undefined;
  try {
    const written = await writeDescriptorTemp(path, {
      transport: 'tcp',
      host: '127.0.0.1',
      port,
      token,
      pid: process.pid,
      version: DESCRIPTOR_VERSION,
    });
    handle = written.handle;
    if (options.mode !== undefined) await handle.chmod(options.mode);
    try {
      await fsp().link(written.tempPath, path);
    } catch (error) {
      await fsp().unlink(written.tempPath);
      if (systemCode(error) === 'EEXIST') {
        await handle.close();
        server.close();
        return undefined;
      }
      throw error;
    }
    await fsp().unlink(written.tempPath);
    const st = await handle.stat();
    debug('bind %s: listening on tcp://127.0.0.1:%d (descriptor written)', path, port);
    const fh = handle;
    return new NetListener(server, 'tcp', `tcp://127.0.0.1:${port}`, {
      path,
      ino: st.ino,
      dev: st.dev,
      release: () => void fh.close().catch(() => {}),
      token,
    });
  } catch (error) {
    await handle?.close().catch(() => {});
    server.close();
    throw listenError(path, 'write the TCP descriptor at', error);
  }
}

/**
 * Safe bind of a path-style endpoint: never truncates, never removes a live
 * server's socket nor anything that is not a socket or our descriptor, and
 * lets exactly one of several racing starters win (a lock the kernel drops
 * when its holder dies serialises them).
 */
export async function bindPath(path: string, options: BindOptions): Promise<Listener> {
  await prepareDir(dirname(path), options.allowSharedDir === true);
  const unlock = await acquirePathLock(path, options.lockTimeout ?? 5_000);
  try {
    for (let round = 0; round < 5; round++) {
      if (!(await clearPath(path))) continue;
      let useTcp = options.transport === 'tcp';
      if (!useTcp && !reachableOverUnix(path)) {
        if (options.transport === 'unix') {
          throw new IpcError(
            ErrorCodes.PATH_TOO_LONG,
            `${path} is ${Buffer.byteLength(path)} bytes, too long for a socket address; use a shorter path or transport 'auto'`,
          );
        }
        debug('bind %s: too long for AF_UNIX even through an alias; falling back to TCP', path);
        useTcp = true;
      }
      let listener: Listener | undefined;
      if (!useTcp) {
        try {
          listener = await bindUnix(path, options);
        } catch (error) {
          const code = systemCode((error as IpcError).cause ?? error);
          if (options.transport !== 'auto' || code === undefined || !FALLBACK_CODES.has(code)) {
            throw error instanceof IpcError ? error : listenError(path, 'listen on', error);
          }
          debug('bind %s: AF_UNIX failed (%s); falling back to TCP', path, code);
          useTcp = true;
        }
      }
      if (useTcp) listener = await bindTcp(path, options);
      if (listener) return listener;
    }
    throw new IpcError(ErrorCodes.ADDR_IN_USE, `${path}: the path kept changing while binding; try again`);
  } finally {
    await unlock();
  }
}
