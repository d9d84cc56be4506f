// The sockets and TCP descriptors in a directory, for `ls` and `clean`.
import type { Stats } from 'node:fs';
import { dirname, fsp, join } from '../builtins.ts';
import { resolveSocketPath } from '../endpoint.ts';
import { DESCRIPTOR_MAX_BYTES } from '../transport/descriptor.ts';

/** Where `{ name }` endpoints resolve: /run/user/UID, else $TMPDIR/unixipc-UID (not created here). */
export function defaultDir(): string {
  return dirname(resolveSocketPath('x', { create: false }));
}

/**
 * Entries of DIR that may be a socket or a descriptor: sockets, and regular files small
 * enough to be a descriptor (inspectPath tells which of those are). Sorted by name.
 */
export async function candidates(dir: string): Promise<Array<{ path: string; stat: Stats }>> {
  const names = (await fsp().readdir(dir)).sort();
  const found: Array<{ path: string; stat: Stats }> = [];
  for (const name of names) {
    const path = join(dir, name);
    const stat = await fsp()
      .lstat(path)
      .catch(() => undefined);
    if (stat?.isSocket() || (stat?.isFile() && stat.size <= DESCRIPTOR_MAX_BYTES)) found.push({ path, stat });
  }
  return found;
}

/** Runs FN over ITEMS, at most LIMIT at a time, keeping their order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
