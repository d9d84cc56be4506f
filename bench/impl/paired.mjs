// Sequential round trips measured paired: `node paired.mjs --contenders JSON --plan JSON`.
// One process holds a connection to each contender's server ({ key, client, address, variant,
// payload }) and takes short windows in turn, in a different order each cycle, so a ratio
// compares windows a few tens of ms apart. On this kind of machine the speed of every
// implementation (the raw floor's too) drifts between regimes every few hundred ms: separate
// blocks of seconds each compare different regimes, adjacent short windows the same one.
// Prints one JSON line: per cycle, each contender's p50 and p99 (us) in its window.
import { parseArgs } from 'node:util';
import { percentile } from '../lib/stats.mjs';
import { seqLoop } from './seq-loop.mjs';

const { values } = parseArgs({
  options: { contenders: { type: 'string' }, plan: { type: 'string' } },
});
const contenders = JSON.parse(values.contenders);
const { size, warmMs, windowMs, cycles, max } = JSON.parse(values.plan);

const conns = [];
for (const c of contenders) {
  const adapter = await import(`./clients/${c.client}.mjs`);
  const payload = c.payload === 'string' ? 'x'.repeat(size) : Buffer.alloc(size, 0x61);
  conns.push({
    key: c.key,
    payload,
    conn: await adapter.open(c.address, { mode: 'seq', variant: c.variant }),
  });
}

const samples = new Float64Array(max);
async function window(entry, ms) {
  const { count, stalled } = await seqLoop(entry.conn, entry.payload, ms, max, samples);
  if (stalled) throw new Error(`${entry.key}: answers stopped`);
  const sorted = Array.from(samples.subarray(0, count)).sort((a, b) => a - b);
  const us = (ms) => Math.round(ms * 1000 * 10) / 10;
  return { n: count, p50: us(percentile(sorted, 0.5)), p99: us(percentile(sorted, 0.99)) };
}

/** Cycle c: the contenders rotated by c, and reversed every other pass, so none is always first. */
function order(c) {
  const n = conns.length;
  const rotated = conns.map((_, i) => conns[(i + c) % n]);
  return Math.floor(c / n) % 2 === 1 ? rotated.reverse() : rotated;
}

let results;
try {
  // Warm-up in turns too: each contender's code is optimized before any window counts.
  for (let pass = 0; pass < 2; pass++) for (const entry of conns) await window(entry, warmMs / 2);
  const out = [];
  for (let c = 0; c < cycles; c++) {
    const cycle = {};
    for (const entry of order(c)) cycle[entry.key] = await window(entry, windowMs);
    out.push(cycle);
  }
  results = { cycles: out };
} catch (error) {
  results = { error: String(error?.message ?? error) };
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
for (const { conn } of conns)
  await Promise.race([conn.close(), new Promise((r) => setTimeout(r, 500).unref())]);
process.exit(0);
