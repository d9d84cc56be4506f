// One process, both sides: IMPL's bench server and client adapters over a socket path in a fresh
// temp dir, COUNT 64-byte requests with DEPTH in flight, then exit. Run under callgrind by
// ../instructions.mjs: `node impl/inproc.mjs <impl> <count> [depth]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMPLS } from '../lib/impls.mjs';
import { makePayload, windowLoop } from './loops.mjs';

const [name, countArg, depthArg] = process.argv.slice(2);
const impl = IMPLS.find((i) => i.name === name);
if (!impl) throw new Error(`unknown implementation ${name}`);
const count = Number(countArg);
const depth = Number(depthArg ?? 256);
const server = await import(`./servers/${impl.server}.mjs`);
const client = await import(`./clients/${impl.client}.mjs`);
const dir = mkdtempSync(join(tmpdir(), 'unixipc-inproc-'));
try {
  const address = await server.start({ transport: 'unix', dir, variant: impl.variant });
  const conn = await client.open(address, { mode: 'pipe', variant: impl.variant });
  const payload = makePayload(impl.payload, 64);
  // Bounded by count; the time bound only guards against a hang (valgrind runs about 50x slower).
  const run = count > 0 ? await windowLoop(conn, payload, depth, 600_000, count) : { count: 0 };
  if (run.stalled || run.count !== count) throw new Error(`answered ${run.count} of ${count}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
