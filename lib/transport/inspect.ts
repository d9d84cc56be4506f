import type { Stats } from 'node:fs';
import { fsp } from '../builtins.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';
import { DESCRIPTOR_MAX_BYTES, type Descriptor, readDescriptor } from './descriptor.ts';
import { pidAlive } from './lock.ts';
import { probe } from './sockets.ts';

/** What is at a path, as far as serving it is concerned. */
export type PathState =
  | { state: 'absent' }
  | { state: 'live' | 'stale'; kind: 'socket'; stat: Stats }
  | { state: 'live' | 'stale'; kind: 'descriptor'; stat: Stats; descriptor: Descriptor }
  | { state: 'occupied'; kind: string; stat: Stats };

export function describeStat(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  if (st.isSocket()) return 'socket';
  return 'unknown';
}

/**
 * Looks at PATH without changing anything (lstat: symlinks are not followed).
 * A socket or descriptor is 'live' unless a probe proves it dead: a probe
 * that cannot tell never leads to removing anything.
 */
export async function inspectPath(path: string): Promise<PathState> {
  let st: Stats;
  try {
    st = await fsp().lstat(path);
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return { state: 'absent' };
    throw new IpcError(ErrorCodes.LISTEN, `cannot inspect ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (st.isSocket()) {
    const result = await probe({ path });
    if (result === 'gone') return { state: 'absent' };
    return { state: result === 'live' ? 'live' : 'stale', kind: 'socket', stat: st };
  }
  if (st.isFile() && st.size <= DESCRIPTOR_MAX_BYTES) {
    const descriptor = await readDescriptor(path).catch(() => undefined);
    if (descriptor) {
      // A descriptor without a pid (another implementation, an older version) is judged by its port alone.
      const alive =
        (descriptor.pid <= 0 || pidAlive(descriptor.pid)) &&
        (await probe({ host: descriptor.host, port: descriptor.port })) === 'live';
      return { state: alive ? 'live' : 'stale', kind: 'descriptor', stat: st, descriptor };
    }
  }
  return { state: 'occupied', kind: describeStat(st), stat: st };
}
