import type { FileHandle } from 'node:fs/promises';
import { crypto, fs, fsp, join, net, sleep } from '../builtins.ts';
import { debug } from '../debug.ts';
import { userRuntimeDir } from '../endpoint.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { abstractAddress } from './socket-path.ts';

export type Unlock = () => Promise<void>;

/** The per-user secret that keys lock names, in the user's private runtime directory. */
export const LOCK_KEY_NAME = 'unixipc-lock.key';
const KEY_BYTES = 32;

/**
 * A lock named after PATH that the kernel drops when its holder dies, so a
 * crash never leaves it held. On Linux: a listening socket in the abstract
 * namespace (no file at all). Elsewhere: a lock directory holding the owner's
 * pid, taken over when that pid is gone.
 *
 * Any user can bind any abstract name, so a name anyone can compute could be
 * squatted to stop us from serving. The name is therefore keyed with a secret
 * only this user can read: 32 random bytes in a 0600 file in the user's
 * private runtime directory (`/run/user/UID`, else `$TMPDIR/unixipc-UID`).
 * Where that cannot be had (someone else planted the directory), the name is
 * the path's hash alone, and a lock held too long says it may be squatted.
 */
export async function acquirePathLock(path: string, waitMs: number, purpose = 'bind'): Promise<Unlock> {
  const deadline = Date.now() + waitMs;
  const name =
    process.platform === 'linux' ? await lockName(purpose === 'bind' ? path : `${path}\0${purpose}`) : '';
  const lockDir = purpose === 'bind' ? `${path}.lock` : `${path}.${purpose}.lock`;
  for (let attempt = 0; ; attempt++) {
    const unlock = process.platform === 'linux' ? await tryAbstract(name) : await tryLockDir(lockDir);
    if (unlock) return unlock;
    if (Date.now() >= deadline) {
      throw new IpcError(
        ErrorCodes.ADDR_IN_USE,
        `${path}: the ${purpose} lock (${process.platform === 'linux' ? `abstract socket @${name.slice(1)}` : lockDir}) ` +
          `has been held for over ${waitMs} ms by another process: ${purpose === 'bind' ? 'another server binding or closing this path' : 'another process starting the daemon'}` +
          (name.includes('-open-')
            ? ', or another user holding the lock name (socket-paths.md, "Racing starters")'
            : ''),
      );
    }
    if (attempt === 0) debug('lock %s: busy, waiting', path);
    await sleep(Math.min(2 + attempt * 2, 25));
  }
}

async function lockName(path: string): Promise<string> {
  const key = await userKey();
  const hash = crypto().createHash('sha256');
  if (key) hash.update(key);
  hash.update(path);
  return `\0unixipc-lock-${key ? '' : 'open-'}${hash.digest('hex').slice(0, 40)}`;
}

/** This user's lock key, made on first use; null when it cannot be had safely. */
async function userKey(): Promise<Buffer | null> {
  let dir: string;
  try {
    dir = userRuntimeDir();
  } catch (error) {
    debug('lock: no private runtime directory (%s); lock names are not keyed', (error as Error).message);
    return null;
  }
  const file = join(dir, LOCK_KEY_NAME);
  const key = await readKey(file);
  if (key !== undefined) return key;
  const temp = join(dir, `.uipc-${crypto().randomBytes(6).toString('hex')}.tmp`);
  try {
    await fsp().writeFile(temp, crypto().randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    await fsp()
      .link(temp, file)
      .catch((error) => {
        if (systemCode(error) !== 'EEXIST') throw error; // another process made it first: read theirs
      });
  } catch (error) {
    debug('lock: cannot make the key %s (%s); lock names are not keyed', file, (error as Error).message);
  } finally {
    await fsp()
      .unlink(temp)
      .catch(() => {});
  }
  return (await readKey(file)) ?? null;
}

/** The key if FILE is a 0600 regular file of ours holding one; undefined if absent; null if not ours. */
async function readKey(file: string): Promise<Buffer | null | undefined> {
  let handle: FileHandle;
  try {
    handle = await fsp().open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (error) {
    return systemCode(error) === 'ENOENT' ? undefined : null;
  }
  try {
    const st = await handle.stat();
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    if (!st.isFile() || !mine || (st.mode & 0o077) !== 0 || st.size !== KEY_BYTES) {
      debug(
        'lock: %s is not ours (uid %d, mode %s); lock names are not keyed',
        file,
        st.uid,
        st.mode.toString(8),
      );
      return null;
    }
    const key = Buffer.alloc(KEY_BYTES);
    const { bytesRead } = await handle.read(key, 0, KEY_BYTES, 0);
    return bytesRead === KEY_BYTES ? key : null;
  } finally {
    await handle.close();
  }
}

function tryAbstract(name: string): Promise<Unlock | undefined> {
  return new Promise((resolve, reject) => {
    const server = net().createServer();
    server.unref();
    server.once('error', (error) => {
      if (systemCode(error) === 'EADDRINUSE') resolve(undefined);
      else
        reject(
          new IpcError(ErrorCodes.LISTEN, `cannot take the bind lock: ${error.message}`, { cause: error }),
        );
    });
    server.listen(abstractAddress(name), () => {
      resolve(() => new Promise<void>((done) => server.close(() => done())));
    });
  });
}

// Not Linux: untested here (CI runs on Linux); kept simple on purpose.
async function tryLockDir(dir: string): Promise<Unlock | undefined> {
  try {
    await fsp().mkdir(dir, { mode: 0o700 });
  } catch (error) {
    if (systemCode(error) !== 'EEXIST') throw error;
    const pid = Number(
      await fsp()
        .readFile(`${dir}/pid`, 'utf8')
        .catch(() => 'NaN'),
    );
    if (Number.isInteger(pid) && pidAlive(pid)) return undefined;
    await fsp().rm(dir, { recursive: true, force: true });
    return undefined;
  }
  await fsp().writeFile(`${dir}/pid`, String(process.pid));
  return () => fsp().rm(dir, { recursive: true, force: true });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return systemCode(error) === 'EPERM';
  }
}
