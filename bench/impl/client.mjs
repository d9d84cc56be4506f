// The load generator, the same for every implementation: `node client.mjs --client NAME
// --address JSON --plan JSON [--variant JSON] [--payload bytes|string] [--server-pid N]`. Each phase opens its
// own connection, warms up, then measures; every loop is bounded by a count and a time, and a
// phase whose answers stop coming ends STALL_GRACE_MS after its deadline. Prints one JSON line.
import { parseArgs } from 'node:util';
import { windowTimes } from '../lib/config.mjs';
import { faultsWith } from '../lib/proc-stat.mjs';
import { latencySummary } from '../lib/stats.mjs';
import { closeWithin, makePayload, seqLoop, settleLoop, windowLoop } from './loops.mjs';

const MiB = 1024 * 1024;

const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    address: { type: 'string' },
    plan: { type: 'string' },
    variant: { type: 'string', default: '{}' },
    payload: { type: 'string', default: 'bytes' },
    'server-pid': { type: 'string' },
  },
});
const adapter = await import(`./clients/${values.client}.mjs`);
const address = JSON.parse(values.address);
const plan = JSON.parse(values.plan);
const variant = JSON.parse(values.variant);

/** CPU time (user + system) this process spent per operation since `start`, in microseconds. */
function cpuPerOp(start, count) {
  const { user, system } = process.cpuUsage(start);
  return count > 0 ? (user + system) / count : Number.NaN;
}

async function withConnection(mode, fn) {
  const conn = await adapter.open(address, { mode, variant });
  try {
    return await fn(conn);
  } finally {
    await closeWithin(conn, 1_000);
  }
}

async function runSeq({ size, warmMs, ms, max }) {
  const payload = makePayload(values.payload, size);
  return withConnection('seq', async (conn) => {
    await seqLoop(conn, payload, warmMs, max, null);
    const samples = new Float64Array(max);
    const cpu = process.cpuUsage();
    const { count, elapsedMs, stalled } = await seqLoop(conn, payload, ms, max, samples);
    const cpuUs = cpuPerOp(cpu, count);
    return { ...latencySummary(samples, count, elapsedMs), cpuUs, ...(stalled ? { stalled } : {}) };
  });
}

async function runWindow({ size, depth, warmMs, ms, max, settle }, mode) {
  const payload = makePayload(values.payload, size);
  return withConnection(mode, async (conn) => {
    const warm = await windowLoop(conn, payload, depth, warmMs, max);
    if (warm.stalled) return { n: warm.count, stalled: true, rps: Number.NaN, MiBps: Number.NaN };
    // With SETTLE, warm on until the heap has grown (settleLoop).
    let settleMs;
    if (settle) {
      const settled = await settleLoop(conn, payload, depth, max, settle, () =>
        faultsWith(values['server-pid']),
      );
      if (settled.stalled) return { n: 0, stalled: true, rps: Number.NaN, MiBps: Number.NaN };
      settleMs = settled.settleMs;
    }
    const cpu = process.cpuUsage();
    const { count, elapsedMs, stalled } = await windowLoop(conn, payload, depth, ms, max);
    const cpuUs = cpuPerOp(cpu, count);
    const rps = count / (elapsedMs / 1000);
    return {
      n: count,
      elapsedMs,
      rps,
      MiBps: (rps * size) / MiB,
      cpuUs,
      ...(settle ? { settleMs } : {}),
      ...(stalled ? { stalled } : {}),
    };
  });
}

const results = {};
async function phase(name, fn) {
  try {
    results[name] = await fn();
  } catch (error) {
    results[name] = { error: String(error?.message ?? error) };
  }
}

if (plan.seq) await phase('seq', () => runSeq(plan.seq));
for (const [k, depth] of (plan.pipe?.depths ?? []).entries()) {
  await phase(`pipe${depth}`, () => runWindow({ ...plan.pipe, ...windowTimes(plan.pipe, k), depth }, 'pipe'));
}
for (const [k, depth] of (plan.bulk?.depths ?? []).entries()) {
  // Only the first bulk phase grows the heap; the ones after it find it grown.
  const settle = k === 0 ? plan.bulk.settle : undefined;
  await phase(`bulk${depth}`, () =>
    runWindow({ ...plan.bulk, ...windowTimes(plan.bulk, k), depth, settle }, 'bulk'),
  );
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
process.exit(0);
