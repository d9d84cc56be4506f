import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { type LineProcess, spawnLines, tempDir } from '../helpers.ts';

/** The other local user the tests play: `nobody` on Debian. */
export const OTHER_UID = 65534;

const SECURITY_FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * These tests start processes as another user, which needs root. CI runs as
 * root and must run them: there a missing privilege fails the suite. On a
 * developer's machine without root they are skipped, saying why.
 */
export function describeAsRoot(name: string, body: () => void): void {
  if (process.getuid?.() === 0) {
    describe(name, body);
    return;
  }
  const why = 'these tests play another local user (uid 65534) and need root; CI runs them as root';
  if (process.env.CI) throw new Error(`${why}, but this CI run is not root`);
  console.warn(`skipping "${name}": ${why}`);
  describe.skip(name, body);
}

/** Starts a security fixture as the other user and waits for its first line. */
export async function asOtherUser(
  name: string,
  args: string[],
  ready = /^(READY|DONE|HOLDING|ERROR)/,
): Promise<{
  proc: LineProcess;
  line: string;
}> {
  const proc = spawnLines(join(SECURITY_FIXTURES, name), args, { uid: OTHER_UID });
  const line = await proc.waitFor(ready);
  return { proc, line };
}

/** Runs plant.mjs as the other user: mkdir, symlink, writeFile, chmod. */
export async function plant(ops: Array<Record<string, unknown>>): Promise<void> {
  const { line } = await asOtherUser('plant.mjs', [JSON.stringify(ops)]);
  if (line !== 'DONE') throw new Error(`plant.mjs: ${line}`);
}

/**
 * A fresh directory the other user can reach: root's, mode 0755, holding a
 * sticky world-writable `shared` (like /tmp) where that user can plant files.
 */
export function reachableDir(): { dir: string; shared: string } {
  const dir = tempDir('uipc-sec-');
  chmodSync(dir, 0o755);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  return { dir, shared };
}
