// Workloads measured paired: `node paired.mjs --contenders JSON --plan JSON`.
// One process holds connections to each contender's server ({ key, client, address, variant,
// payload }) and, phase by phase, takes short windows on them in turn, in a different order each
// cycle, so a ratio compares windows tens of ms apart. On this kind of machine the speed of every
// implementation (the raw floor's too) drifts between regimes every few hundred ms: separate
// blocks of seconds each compare different regimes, adjacent short windows the same one.
// Phases: `seq` (one request at a time: p50 and p99 in us per window) and `pipeN` (N in flight:
// requests/s per window), each { size, warmMs, windowMs, cycles, max, keys, depth? }.
// Prints one JSON line: per phase, per cycle, each contender's figures in its window.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { latencySummary } from '../lib/stats.mjs';
import { seqLoop, windowLoop } from './loops.mjs';

const { values } = parseArgs({
  options: { contenders: { type: 'string' }, plan: { type: 'string' } },
});
const contenders = new Map(JSON.parse(values.contenders).map((c) => [c.key, c]));
const { phases } = JSON.parse(values.plan);
const adapters = new Map();

async function open(key, mode, size) {
  const c = contenders.get(key);
  if (!adapters.has(c.client)) adapters.set(c.client, await import(`./clients/${c.client}.mjs`));
  const payload = c.payload === 'string' ? 'x'.repeat(size) : Buffer.alloc(size, 0x61);
  const conn = await adapters.get(c.client).open(c.address, { mode, variant: c.variant });
  return { key, payload, conn };
}

function close(entries) {
  const closing = entries.map(({ conn }) => conn.close());
  return Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 500).unref())]);
}

/** One window of PHASE on ENTRY: its figures. */
async function window(phase, entry, ms, samples) {
  if (phase.depth === undefined) {
    const { count, elapsedMs, stalled } = await seqLoop(entry.conn, entry.payload, ms, phase.max, samples);
    if (stalled) throw new Error(`${entry.key}: answers stopped`);
    const { p50, p99 } = latencySummary(samples, count, elapsedMs);
    return { n: count, p50, p99 };
  }
  const { count, elapsedMs, stalled } = await windowLoop(
    entry.conn,
    entry.payload,
    phase.depth,
    ms,
    phase.max,
  );
  if (stalled) throw new Error(`${entry.key}: answers stopped`);
  return { n: count, rps: count / (elapsedMs / 1000) };
}

/** Cycle c: the entries rotated by c, and reversed every other pass, so none is always first. */
function order(entries, c) {
  const n = entries.length;
  const rotated = entries.map((_, i) => entries[(i + c) % n]);
  return Math.floor(c / n) % 2 === 1 ? rotated.reverse() : rotated;
}

async function runPhase(phase) {
  const mode = phase.depth === undefined ? 'seq' : 'pipe';
  const entries = [];
  for (const key of phase.keys) entries.push(await open(key, mode, phase.size));
  try {
    const samples = phase.depth === undefined ? new Float64Array(phase.max) : undefined;
    // Warm-up in turns too: each contender's code is optimized before any window counts.
    for (let pass = 0; pass < 2; pass++)
      for (const entry of entries) await window(phase, entry, phase.warmMs / 2, samples);
    const cycles = [];
    for (let c = 0; c < phase.cycles; c++) {
      const cycle = {};
      for (const entry of order(entries, c))
        cycle[entry.key] = await window(phase, entry, phase.windowMs, samples);
      cycles.push(cycle);
    }
    return { cycles };
  } finally {
    await close(entries);
  }
}

const results = {};
const t0 = performance.now();
for (const phase of phases) {
  try {
    results[phase.name] = await runPhase(phase);
  } catch (error) {
    results[phase.name] = { error: String(error?.message ?? error) };
  }
}
results.elapsedMs = Math.round(performance.now() - t0);
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
