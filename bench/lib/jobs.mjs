import { mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { STALL_GRACE_MS } from '../impl/loops.mjs';
import { TRANSPORTS, windowTimes } from './config.mjs';
import { Child, timedRun } from './procs.mjs';
import { median } from './stats.mjs';

const NODE = process.execPath;
/** bench/ itself, unless the harness runs from a snapshot (ctx.benchDir). */
const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..');
const implDir = (ctx) => join(ctx.benchDir ?? BENCH, 'impl');
const READY_MS = 20_000;

function startServer(impl, transport, dir, cpu, ctx) {
  if (impl.server === 'c') {
    const args = ['server', transport, ...(transport === 'unix' ? [join(dir, 'c.sock')] : [])];
    return new Child(ctx.cBinary, args, { cpu, env: ctx.env });
  }
  const args = [
    '--expose-gc',
    join(implDir(ctx), 'server.mjs'),
    '--server',
    impl.server,
    '--transport',
    transport,
    '--dir',
    dir,
    '--variant',
    JSON.stringify(impl.variant),
  ];
  return new Child(NODE, args, { cpu, env: ctx.env });
}

export async function withServer(impl, transport, cpu, ctx, fn) {
  const dir = mkdtempSync(join(ctx.tmp, `${impl.name}-`));
  const server = startServer(impl, transport, dir, cpu, ctx);
  try {
    const ready = await server.next(READY_MS, 'ready line');
    if (!ready.ready) throw new Error(`unexpected first line from the server: ${JSON.stringify(ready)}`);
    return await fn(ready.address, server);
  } finally {
    await server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The phases of workloads A-C that IMPL takes part in. */
export function socketPlan(impl, transport, options) {
  const plan = {};
  for (const workload of ['seq', 'pipe', 'bulk']) {
    const supported =
      impl.workloads.includes(workload) && (impl.transports ?? ['unix', 'tcp']).includes(transport);
    if (supported && options.workloads.includes(workload)) plan[workload] = options.plan[workload];
  }
  return Object.keys(plan).length > 0 ? plan : undefined;
}

function planBudgetMs(plan) {
  let total = 0;
  if (plan.seq) total += plan.seq.warmMs + plan.seq.ms + 2 * STALL_GRACE_MS;
  for (const key of ['pipe', 'bulk']) {
    if (plan[key])
      for (const k of plan[key].depths.keys()) {
        const { warmMs, ms } = windowTimes(plan[key], k);
        total += warmMs + ms + 2 * STALL_GRACE_MS + 1_000;
      }
  }
  if (plan.bulk?.settle) total += plan.bulk.settle.maxMs + plan.bulk.settle.windowMs + STALL_GRACE_MS;
  return total + 20_000;
}

function cPhases(plan) {
  const phases = [];
  const { seq, pipe, bulk } = plan;
  if (seq) phases.push(`seq:${seq.size}:${seq.warmMs}:${seq.ms}:${seq.max}`);
  for (const [name, p] of [
    ['pipe', pipe],
    ['bulk', bulk],
  ]) {
    for (const [k, depth] of (p?.depths ?? []).entries()) {
      const { warmMs, ms } = windowTimes(p, k);
      phases.push(`win:${name}${depth}:${p.size}:${depth}:${warmMs}:${ms}:${p.max}`);
    }
  }
  return phases;
}

/** The arguments of bench/impl/client.mjs for one socket job. */
export function clientArgs(script, impl, address, plan) {
  return [
    script,
    '--client',
    impl.client,
    '--address',
    JSON.stringify(address),
    '--plan',
    JSON.stringify(plan),
    '--variant',
    JSON.stringify(impl.variant),
    '--payload',
    impl.payload,
  ];
}

/** Workloads A-C: one server process, one client process running every phase. */
export async function runSocketJob({ impl, transport, cpus, plan, ctx }) {
  return withServer(impl, transport, cpus.server, ctx, async (address, server) => {
    let client;
    if (impl.client === 'c') {
      const where = transport === 'unix' ? address.path : String(address.port);
      client = new Child(ctx.cBinary, ['client', transport, where, ...cPhases(plan)], { cpu: cpus.client });
    } else {
      const args = clientArgs(join(implDir(ctx), 'client.mjs'), impl, address, plan);
      client = new Child(NODE, [...args, '--server-pid', String(server.proc.pid)], { cpu: cpus.client });
    }
    try {
      const out = await client.next(planBudgetMs(plan), 'results');
      return out.results;
    } finally {
      await client.kill();
    }
  });
}

/**
 * Workload D: a fresh process per call, paired with a bare `node -e 0` right
 * before or after it (alternating), both pinned to the client CPU.
 */
export async function runOneshotJob({ impl, transport, cpus, pairs, ctx }) {
  const script = join(implDir(ctx), 'oneshot', impl.oneshotScript);
  const measure = async (address) => {
    const args = address === undefined ? [script] : [script, JSON.stringify(address)];
    const samples = [];
    for (let k = 0; k < pairs; k++) {
      const legs = k % 2 === 0 ? ['bare', 'impl'] : ['impl', 'bare'];
      const pair = {};
      for (const leg of legs) {
        const run =
          leg === 'bare'
            ? await timedRun(NODE, ['-e', '0'], { cpu: cpus.client })
            : await timedRun(NODE, args, { cpu: cpus.client });
        if (run.code !== 0) throw new Error(`${leg} run failed (${run.code ?? run.signal}): ${run.stderr}`);
        pair[leg] = run;
      }
      samples.push({
        bareMs: pair.bare.wallMs,
        wallMs: pair.impl.wallMs,
        importMs: pair.impl.result?.importMs ?? Number.NaN,
        callMs: pair.impl.result?.callMs ?? Number.NaN,
      });
    }
    return {
      overBareMs: median(samples.map((s) => s.wallMs - s.bareMs)),
      wallMs: median(samples.map((s) => s.wallMs)),
      bareMs: median(samples.map((s) => s.bareMs)),
      importMs: median(samples.map((s) => s.importMs)),
      callMs: median(samples.map((s) => s.callMs)),
      samples,
    };
  };
  if (impl.server === null) return measure(undefined);
  return withServer(impl, transport, cpus.server, ctx, (address) => measure(address));
}

/** Workload E: server RSS before and after COUNT idle connections (each made one request). */
export async function runMemJob({ impl, transport, cpus, count, ctx }) {
  return withServer(impl, transport, cpus.server, ctx, async (address, server) => {
    const args = [
      join(implDir(ctx), 'mem-client.mjs'),
      '--client',
      impl.client,
      '--address',
      JSON.stringify(address),
      '--variant',
      JSON.stringify(impl.variant),
      '--payload',
      impl.payload,
      '--count',
      String(count),
    ];
    const client = new Child(NODE, args, { cpu: cpus.client });
    try {
      await client.next(READY_MS, 'warm-up');
      server.send('mem');
      const before = (await server.next(READY_MS, 'memory report')).mem;
      client.send('go');
      const ready = await client.next(120_000, 'connections');
      server.send('mem');
      const after = (await server.next(READY_MS, 'memory report')).mem;
      const per = (key) => (after[key] - before[key]) / ready.ready;
      return {
        count: ready.ready,
        before,
        after,
        perConnBytes: per('rss'),
        heapPerConnBytes: per('heapUsed'),
        externalPerConnBytes: per('external'),
      };
    } finally {
      await client.kill();
    }
  });
}

/** The framing decoder alone, in its own pinned process. */
export async function runFramingJob({ cpu, ms, ctx }) {
  const child = new Child(NODE, [join(ctx.benchDir ?? BENCH, 'framing.mjs'), '--json', `--ms=${ms}`], {
    cpu,
  });
  try {
    return (await child.next(120_000, 'framing results')).framing;
  } finally {
    await child.kill();
  }
}

/**
 * Runs FN with one server per entry of LIST ({ impl, transport }), all started before it;
 * FN gets their { address, server } in LIST's order.
 */
async function withServers(list, cpu, ctx, fn, started = []) {
  if (started.length === list.length) return fn(started);
  const { impl, transport } = list[started.length];
  return withServer(impl, transport, cpu, ctx, (address, server) =>
    withServers(list, cpu, ctx, fn, [...started, { address, server }]),
  );
}

/** The key a paired contender's figures go under: `unixipc@tcp`. */
export const pairedKey = (impl, transport) => `${impl}@${transport}`;

/** Cycle C: the keys rotated by C, and reversed every other pass, so none is always first. */
function pairedOrder(keys, c) {
  const n = keys.length;
  const rotated = keys.map((_, i) => keys[(i + c) % n]);
  return Math.floor(c / n) % 2 === 1 ? rotated.reverse() : rotated;
}

/**
 * Sends COMMAND to a paired worker and waits for its answer. A worker that does
 * not answer in time is killed: its late answer must not be taken for the
 * answer to a later command, so every later command to it fails at once.
 */
async function ask(worker, command, timeoutMs) {
  worker.send(JSON.stringify(command));
  let answer;
  try {
    answer = await worker.next(timeoutMs, `answer to ${command.op}`);
  } catch (error) {
    await worker.kill();
    throw error;
  }
  if (answer.error) throw new Error(answer.error);
  return answer;
}

/** One phase of a paired run: a connection per key, warm-up in turns, then CYCLES of windows. */
async function runPairedPhase(phase, workers) {
  const windowBudget = (ms) => ms + STALL_GRACE_MS + 2_000;
  const take = (key, ms) => ask(workers.get(key), { op: 'window', ms, depth: phase.depth }, windowBudget(ms));
  try {
    for (const key of phase.keys)
      await ask(
        workers.get(key),
        { op: 'open', mode: phase.mode, size: phase.size, max: phase.max },
        READY_MS,
      );
    // Warm-up in turns too: each contender's code is optimized before any window counts.
    for (let pass = 0; pass < 2; pass++) for (const key of phase.keys) await take(key, phase.warmMs / 2);
    // With `settle`, each contender warms on until its heap has grown (settleLoop), so no window
    // measures the growth.
    const settle = {};
    if (phase.settle) {
      for (const key of phase.keys) {
        const command = { op: 'settle', depth: phase.depth, settle: phase.settle };
        settle[key] = (await ask(workers.get(key), command, windowBudget(phase.settle.maxMs))).settleMs;
      }
    }
    const cycles = [];
    for (let c = 0; c < phase.cycles; c++) {
      const cycle = {};
      for (const key of pairedOrder(phase.keys, c)) cycle[key] = await take(key, phase.windowMs);
      cycles.push(cycle);
    }
    return { size: phase.size, depth: phase.depth, settleMs: settle, cycles };
  } finally {
    for (const key of phase.keys) await ask(workers.get(key), { op: 'close' }, READY_MS).catch(() => {});
  }
}

/**
 * Workloads measured paired (see impl/paired.mjs): a client process per
 * implementation and transport a phase compares, all on the client CPU, each with
 * its own connection, taking short windows in turn. PLAN: { phases: { seq: { workload,
 * impls, ... }, pipe256: { workload, impls, depth, ... }, ... } }. ENV: added to the
 * environment of every process of the job, servers included. Resolves with, per phase,
 * { cycles } (each cycle: every key's figures in its window) or { error }, and elapsedMs.
 */
export async function runPairedJob({ impls, transports, cpus, plan, ctx, env }) {
  const byName = new Map(impls.map((impl) => [impl.name, impl]));
  const runsOver = (name, transport) => (byName.get(name)?.transports ?? TRANSPORTS).includes(transport);
  // A phase takes the contenders of its list that were chosen and run over each transport; it
  // runs when unixipc and the floor it is judged against (the first in its list) are among them.
  const phases = Object.entries(plan.phases)
    .filter(([, phase]) => byName.has('unixipc') && byName.has(phase.impls[0]))
    .map(([name, { impls: names, workload, ...phase }]) => ({
      name,
      mode: workload,
      ...phase,
      keys: transports.flatMap((t) =>
        names.filter((impl) => byName.has(impl) && runsOver(impl, t)).map((impl) => pairedKey(impl, t)),
      ),
    }));
  const used = [...new Set(phases.flatMap((phase) => phase.keys))];
  const list = used.map((key) => {
    const [name, transport] = key.split('@');
    return { impl: byName.get(name), transport };
  });
  const processEnv = env ? { ...process.env, ...env } : undefined;
  return withServers(list, cpus.server, { ...ctx, env: processEnv }, async (servers) => {
    const workers = new Map();
    try {
      for (const [k, { impl, transport }] of list.entries()) {
        const key = pairedKey(impl.name, transport);
        const contender = {
          key,
          client: impl.client,
          address: servers[k].address,
          variant: impl.variant,
          payload: impl.payload,
          serverPid: servers[k].server.proc.pid,
        };
        const args = [join(implDir(ctx), 'paired.mjs'), '--contender', JSON.stringify(contender)];
        workers.set(key, new Child(NODE, args, { cpu: cpus.client, env: processEnv }));
      }
      const t0 = performance.now();
      const results = {};
      for (const phase of phases) {
        try {
          results[phase.name] = await runPairedPhase(phase, workers);
        } catch (error) {
          results[phase.name] = { error: String(error?.message ?? error) };
        }
      }
      results.elapsedMs = Math.round(performance.now() - t0);
      return results;
    } finally {
      await Promise.all([...workers.values()].map((worker) => worker.finish(1_000)));
    }
  });
}
