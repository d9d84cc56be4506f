import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { crypto, dirname, fs, fsp, join } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import {
  DESCRIPTOR_MAX_BYTES,
  DESCRIPTOR_VERSION,
  newToken,
  readDescriptor,
  writeDescriptorTemp,
} from './descriptor.ts';
import { inspectPath, type PathState } from './inspect.ts';
import { createNetServer, type Listener, listenServer, NetListener } from './listener.ts';
import { acquirePathLock, pidAlive } from './lock.ts';
import { reachableOverUnix, shortAddress } from './socket-path.ts';
import { probe } from './sockets.ts';
import { checkServeDir, ownerAndMode, permissionCulprit, type TrustedUids, trustedUids } from './trust.ts';

export interface BindOptions {
  transport: 'auto' | 'unix' | 'tcp';
  backlog?: number | undefined;
  /** Mode of the socket file or descriptor. @default 0o600 */
  mode?: number | undefined;
  /** Allow a directory that other users can write to (no sticky bit). @default false */
  allowSharedDir?: boolean | undefined;
  /** How long to wait for another process that is binding the same path. @default 5000 */
  lockTimeout?: number | undefined;
  /** Owners trusted besides this user and root, for the directory chain. */
  trustUid?: number | readonly number[] | undefined;
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

/** Words for the system errors binding meets, so a message never shows our temporary names. */
const SYSTEM_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many symlinks on the way',
  EMFILE: 'this process has too many files open',
  ENFILE: 'the system has too many files open',
};

function listenError(path: string, what: string, cause: unknown): IpcError {
  const code = systemCode(cause);
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? `permission denied: ${writeCulprit(dirname(path))}`
      : code !== undefined
        ? `${SYSTEM_WORDS[code] ?? (cause as Error).message.split(/ [/@]/)[0]} (${code})`
        : String((cause as Error)?.message ?? cause);
  return new IpcError(ErrorCodes.LISTEN, `cannot ${what} ${path}: ${why}`, { cause });
}

/**
 * Creates the parent directory (0700) if missing, then checks the directory
 * chain (trust.ts): a directory others control could have our socket replaced
 * with theirs, and every client would talk to them.
 */
async function prepareDir(dir: string, options: BindOptions): Promise<void> {
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
  checkServeDir(dir, {
    trusted: trustedUids(options.trustUid),
    allowShared: options.allowSharedDir === true,
  });
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
 * ERR_IPC_ADDR_IN_USE; anything that is not ours to remove (not a socket or
 * descriptor, or another user's) → ERR_IPC_PATH_OCCUPIED, untouched. A stale
 * socket or descriptor of a trusted owner is removed.
 * Returns false when the path changed under us and should be looked at again.
 */
async function clearPath(path: string, trusted: TrustedUids): Promise<boolean> {
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
      if (!trusted.has(found.stat.uid)) {
        throw new IpcError(
          ErrorCodes.PATH_OCCUPIED,
          `${path} is a stale ${found.kind} of another user (${ownerAndMode(found.stat)}): not ours to remove`,
        );
      }
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

/**
 * Removes PATH if it is a stale socket or descriptor: the judgement serve()
 * makes before it reclaims a path (inspectPath: a probe that cannot tell
 * counts as live), taken under the lock serve() binds under, so a server
 * starting at that moment never loses its fresh socket. With OWNER, only a
 * file that uid owns is removed. For `unixipc clean`.
 */
export async function removeStale(
  path: string,
  owner: number | undefined,
): Promise<{ found: PathState; removed: boolean }> {
  const unlock = await acquirePathLock(path, 5_000);
  try {
    const found = await inspectPath(path);
    if (found.state !== 'stale' || (owner !== undefined && found.stat.uid !== owner)) {
      return { found, removed: false };
    }
    return { found, removed: await unlinkIfSame(path, found.stat) };
  } finally {
    await unlock();
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
  const server = createNetServer();
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
  const server = createNetServer();
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
  await prepareDir(dirname(path), options);
  const trusted = trustedUids(options.trustUid);
  const unlock = await acquirePathLock(path, options.lockTimeout ?? 5_000);
  try {
    await removeStaleTemporaries(dirname(path));
    for (let round = 0; round < 5; round++) {
      if (!(await clearPath(path, trusted))) continue;
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

/** Why this user may not create a file in DIR, in words. */
function writeCulprit(dir: string): string {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (st !== undefined) return `you cannot create files in ${dir} (${ownerAndMode(st)})`;
    return permissionCulprit(join(dir, 'x'));
  }
  return `the system refused (${dir} is writable by you)`;
}

/** Names unixipc gives its temporary files: `.uipc-<12 hex>` sockets, `.uipc-<12 hex>.tmp` files. */
const TEMPORARY = /^\.uipc-[0-9a-f]{12}(\.tmp)?$/;
/** Descriptor temporaries of versions before 0.2: `.NAME.<8 hex>.tmp`. */
const OLD_DESCRIPTOR_TEMPORARY = /^\..+\.[0-9a-f]{8}\.tmp$/;
/** A temporary file lives milliseconds; one this old was left by a process that died mid-bind. */
const TEMPORARY_MAX_AGE_MS = 60_000;

/**
 * Removes the temporaries that a process killed in the middle of a bind left in
 * DIR (a SIGKILL runs no cleanup): only files of ours by name and owner, and
 * only stale ones (a socket that refuses connections, a descriptor whose pid is
 * gone, any other temporary older than a minute). Runs under the bind lock.
 */
async function removeStaleTemporaries(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await fsp().readdir(dir);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const old = OLD_DESCRIPTOR_TEMPORARY.test(name);
    if (!TEMPORARY.test(name) && !old) continue;
    const path = join(dir, name);
    const st = await fsp()
      .lstat(path)
      .catch(() => undefined);
    if (st === undefined || (uid !== undefined && st.uid !== uid)) continue;
    let stale = false;
    if (st.isSocket() && !old) {
      stale = (await probe({ path })) === 'dead';
    } else if (st.isFile()) {
      const descriptor =
        st.size <= DESCRIPTOR_MAX_BYTES ? await readDescriptor(path).catch(() => undefined) : undefined;
      if (descriptor !== undefined && descriptor.pid > 0) stale = !pidAlive(descriptor.pid);
      else if (!old) stale = Date.now() - st.mtimeMs > TEMPORARY_MAX_AGE_MS;
    }
    if (stale && (await unlinkIfSame(path, st).catch(() => false))) {
      debug('bind %s: removed %s, left by a process that died mid-bind', dir, name);
    }
  }
}
