import { crypto, fsp, net, sleep } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';

export type Unlock = () => Promise<void>;

/**
 * A lock named after PATH that the kernel drops when its holder dies, so a
 * crash never leaves it held. On Linux: a listening socket in the abstract
 * namespace (no file at all). Elsewhere: a lock directory holding the owner's
 * pid, taken over when that pid is gone.
 */
export async function acquirePathLock(path: string, waitMs: number): Promise<Unlock> {
  const deadline = Date.now() + waitMs;
  const key = crypto().createHash('sha256').update(path).digest('hex').slice(0, 40);
  for (let attempt = 0; ; attempt++) {
    const unlock = process.platform === 'linux' ? await tryAbstract(key) : await tryLockDir(`${path}.lock`);
    if (unlock) return unlock;
    if (Date.now() >= deadline) {
      throw new IpcError(
        ErrorCodes.ADDR_IN_USE,
        `${path}: another process has been binding this path for over ${waitMs} ms; try again`,
      );
    }
    if (attempt === 0) debug('lock %s: busy, waiting', path);
    await sleep(Math.min(2 + attempt * 2, 25));
  }
}

function tryAbstract(key: string): Promise<Unlock | undefined> {
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
    server.listen(`\0unixipc-lock-${key}`, () => {
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
