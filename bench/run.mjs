// The benchmark suite: `npm run bench` (about 14 minutes) or `npm run bench -- --quick` (about 2).
// Servers and clients run in separate processes, pinned with taskset to different CPUs
// ("cross") and to one CPU ("same"); rounds interleave the implementations. Writes
// bench/results/<date>.json and BENCHMARKS.md. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PAIRED_MALLOC_ENV, parseOptions } from './lib/config.mjs';
import { implsFor, oneshotVariants } from './lib/impls.mjs';
import {
  runFramingJob,
  runMemJob,
  runOneshotJob,
  runPairedJob,
  runSocketJob,
  socketPlan,
} from './lib/jobs.mjs';
import { machineInfo } from './lib/machine.mjs';
import { HAS_TASKSET, killAll } from './lib/procs.mjs';
import { renderMarkdown, renderSummary } from './lib/report.mjs';
import { buildSummary, evaluateTargets, pairedSummaryOfRun, unixVsTcp } from './lib/summary.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = join(BENCH, '..');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** dist/ is what `import 'unixipc'` loads: build it when missing (or asked), warn when stale. */
function checkBuild(force) {
  const dist = join(ROOT, 'dist', 'index.js');
  if (force || !existsSync(dist)) {
    console.log('building dist/ with tsup ...');
    const out = spawnSync('npx', ['tsup'], { cwd: ROOT, stdio: 'inherit' });
    if (out.status !== 0) throw new Error('tsup failed');
    return { stale: false, built: true };
  }
  const stale = newestMtime(join(ROOT, 'lib')) > statSync(dist).mtimeMs;
  if (stale)
    console.warn('warning: lib/ is newer than dist/; run `npx tsup` (or pass --build) to measure it');
  return { stale, built: false };
}

/**
 * Copies package.json, dist/ and bench/ into TMP/pkg (node_modules linked), so that
 * `import 'unixipc'` in every child resolves to this snapshot: a rebuild of dist/ while
 * the suite runs cannot mix two builds in one report.
 */
function snapshot(tmp) {
  const pkg = join(tmp, 'pkg');
  mkdirSync(pkg);
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(BENCH, join(pkg, 'bench'), {
    recursive: true,
    filter: (src) => !src.startsWith(join(BENCH, 'results')),
  });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  const hash = createHash('sha256')
    .update(readFileSync(join(pkg, 'dist', 'index.js')))
    .digest('hex');
  return { benchDir: join(pkg, 'bench'), distSha256: hash.slice(0, 16) };
}

function buildC(tmp) {
  const source = join(BENCH, 'c', 'pingpong.c');
  const binary = join(tmp, 'pingpong');
  const out = spawnSync('cc', ['-O2', '-pthread', '-o', binary, source, '-lm'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) {
    console.warn(`C ping-pong skipped: ${out.error?.message ?? out.stderr.trim().split('\n')[0]}`);
    return undefined;
  }
  return binary;
}

function gitInfo() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const dirty = git('status', '--porcelain', '--', 'lib');
  return { commit: git('rev-parse', '--short', 'HEAD'), libDirty: Boolean(dirty) };
}

/** Deterministic shuffle, so that each round visits the implementations in a different order. */
function shuffled(items, seed) {
  const out = [...items];
  let state = seed * 2654435761;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function placementsFor(names) {
  const cpus = os.cpus().length;
  const notes = [];
  if (!HAS_TASKSET) notes.push('taskset not found: every process ran unpinned (placements are nominal)');
  const all = {
    cross: { server: 0, client: 1 },
    same: { server: Math.min(1, cpus - 1), client: Math.min(1, cpus - 1) },
  };
  let chosen = names;
  if (cpus < 2 && names.includes('cross')) {
    notes.push('one CPU only: the cross-CPU placement was skipped');
    chosen = names.filter((name) => name !== 'cross');
  }
  return { placements: Object.fromEntries(chosen.map((name) => [name, all[name]])), notes };
}

function fmtSeconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

async function main() {
  const options = parseOptions();
  const started = performance.now();
  const startedAt = new Date();
  const build = checkBuild(options.build);
  const tmp = mkdtempSync(join(os.tmpdir(), 'unixipc-bench-'));
  const cleanup = () => {
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  }

  const { placements, notes } = placementsFor(options.placements);
  const placementNames = Object.keys(placements);
  let impls = implsFor(options.only);
  const cBinary = impls.some((impl) => impl.name === 'c') ? buildC(tmp) : undefined;
  if (!cBinary) {
    if (impls.some((impl) => impl.name === 'c')) notes.push('no working `cc`: the C ping-pong was skipped');
    impls = impls.filter((impl) => impl.name !== 'c');
  }
  const snap = snapshot(tmp);
  const ctx = { tmp, cBinary, benchDir: snap.benchDir };
  const plan = options.plan;
  const command = process.env.npm_lifecycle_event
    ? `npm run ${process.env.npm_lifecycle_event}${options.argv.length ? ` -- ${options.argv.join(' ')}` : ''}`
    : `node bench/run.mjs${options.argv.length ? ` ${options.argv.join(' ')}` : ''}`;
  const machine = machineInfo();
  console.log(
    `${command}: ${plan.rounds} round(s), placements ${placementNames.join(', ')}, ${impls.length} implementations`,
  );
  console.log(`${machine.cpuModel}, ${machine.cpus} CPUs, Node ${machine.node}, ${machine.kernel}`);

  const runs = [];
  const record = (run) => {
    runs.push(run);
    return run;
  };
  const want = (workload) => options.workloads.includes(workload);
  const oneshotImpls = oneshotVariants(impls);
  const memImpls = impls.filter((impl) => impl.workloads.includes('mem'));

  // Workloads A-C paired (impl/paired.mjs): the phases whose workload runs, each with the
  // contenders chosen (runPairedJob drops a phase whose floor or unixipc is missing).
  const pairedPlan = {
    phases: Object.fromEntries(
      Object.entries(plan.paired.phases).filter(([, phase]) => want(phase.workload)),
    ),
  };
  const pairedNames = new Set(Object.values(pairedPlan.phases).flatMap((phase) => phase.impls));
  const pairedImpls =
    impls.some((impl) => impl.name === 'unixipc') && pairedNames.size > 0
      ? impls.filter((impl) => pairedNames.has(impl.name))
      : undefined;
  const pairedEnv = options.malloc === 'tuned' ? PAIRED_MALLOC_ENV : undefined;
  const runPaired = async (placement, round, t0) => {
    const base = { kind: 'paired', round, placement, load: Math.round(os.loadavg()[0] * 100) / 100 };
    try {
      const results = await runPairedJob({
        impls: pairedImpls,
        transports: options.transports,
        cpus: placements[placement],
        plan: pairedPlan,
        ctx,
        env: pairedEnv,
      });
      record({ ...base, results });
      const s = pairedSummaryOfRun(results);
      const failed = Object.entries(results)
        .filter(([, phase]) => phase?.error)
        .map(([name, phase]) => `${name} FAILED: ${phase.error}`);
      const line = [
        ...Object.entries(s.vsRaw).map(
          ([t, r]) => `seq ${t} p50 ${r.p50.toFixed(2)}x p99 ${r.p99.toFixed(2)}x`,
        ),
        ...Object.entries(s.pipeVsCorked).map(([t, r]) => `pipe256 ${t} ${r.rps.toFixed(2)}x`),
        ...Object.entries(s.bulkVsBestRaw).flatMap(([t, byPhase]) =>
          Object.entries(byPhase).map(
            ([phase, r]) =>
              `${phase} ${t} ${r.toFixed(2)}x best raw${
                s.bulkVsZeromq[t]?.[phase] ? ` ${s.bulkVsZeromq[t][phase].toFixed(2)}x zeromq` : ''
              }`,
          ),
        ),
        ...failed,
      ].join(', ');
      console.log(
        `[${round}] ${placement} paired unixipc/raw: ${line} (${fmtSeconds(performance.now() - t0)})`,
      );
    } catch (error) {
      record({ ...base, error: String(error.message ?? error) });
      console.log(`[${round}] ${placement} paired FAILED: ${error.message}`);
    }
  };

  for (let round = 1; round <= plan.rounds; round++) {
    const roundStart = performance.now();
    // One block per placement and transport, in a different order each round, and the
    // implementations shuffled within it: a ratio compares runs at most one block (about 40 s
    // in the full suite) apart, not a whole round, while the machine's load drifts.
    const blocks = [];
    for (const placement of placementNames) {
      for (const transport of options.transports) {
        const block = [];
        for (const impl of impls) {
          const p = socketPlan(impl, transport, options);
          if (p) block.push({ placement, transport, impl, plan: p });
        }
        blocks.push(block);
      }
    }
    // Workloads A and B paired (unixipc and raw net in windows taken in turn, see impl/paired.mjs): a block of
    // its own per placement, covering both transports.
    if (pairedImpls) for (const placement of placementNames) blocks.push([{ placement, paired: true }]);
    const socketJobs = shuffled(blocks, round).flatMap((block, k) => shuffled(block, round * 16 + k + 1));
    for (const job of socketJobs) {
      const t0 = performance.now();
      if (job.paired) {
        await runPaired(job.placement, round, t0);
        continue;
      }
      const base = {
        kind: 'socket',
        round,
        placement: job.placement,
        transport: job.transport,
        impl: job.impl.name,
        load: Math.round(os.loadavg()[0] * 100) / 100,
      };
      try {
        const results = await runSocketJob({ ...job, cpus: placements[job.placement], ctx });
        record({ ...base, results });
        const seq = results.seq?.p50 !== undefined ? ` p50 ${results.seq.p50} us` : '';
        console.log(
          `[${round}] ${job.placement}/${job.transport} ${job.impl.name}${seq} (${fmtSeconds(performance.now() - t0)})`,
        );
      } catch (error) {
        record({ ...base, error: String(error.message ?? error) });
        console.log(`[${round}] ${job.placement}/${job.transport} ${job.impl.name} FAILED: ${error.message}`);
      }
    }

    if (want('oneshot')) {
      const jobs = [];
      const wanted = placementNames.filter((p) => plan.oneshot.placements?.includes(p) ?? true);
      for (const placement of wanted.length > 0 ? wanted : placementNames.slice(0, 1)) {
        for (const transport of options.transports) {
          for (const impl of oneshotImpls) {
            if (impl.server === null && transport !== options.transports[0]) continue;
            jobs.push({ placement, transport, impl });
          }
        }
      }
      for (const job of shuffled(jobs, round + 100)) {
        const base = {
          kind: 'oneshot',
          round,
          placement: job.placement,
          transport: job.transport,
          impl: job.impl.name,
        };
        const t0 = performance.now();
        try {
          const result = await runOneshotJob({
            ...job,
            cpus: placements[job.placement],
            pairs: plan.oneshot.pairs,
            ctx,
          });
          record({ ...base, ...result });
          console.log(
            `[${round}] one-shot ${job.placement}/${job.transport} ${job.impl.name}: ${result.wallMs.toFixed(1)} ms, +${result.overBareMs.toFixed(1)} ms over bare node (${fmtSeconds(performance.now() - t0)})`,
          );
        } catch (error) {
          record({ ...base, error: String(error.message ?? error) });
          console.log(`[${round}] one-shot ${job.impl.name} FAILED: ${error.message}`);
        }
      }
    }

    if (want('mem') && round <= plan.mem.rounds) {
      const cpus = placements.cross ?? Object.values(placements)[0];
      const jobs = options.transports.flatMap((transport) => memImpls.map((impl) => ({ transport, impl })));
      for (const job of shuffled(jobs, round + 200)) {
        const base = { kind: 'mem', round, transport: job.transport, impl: job.impl.name };
        const t0 = performance.now();
        try {
          const result = await runMemJob({ ...job, cpus, count: plan.mem.count, ctx });
          record({ ...base, ...result });
          console.log(
            `[${round}] memory ${job.transport} ${job.impl.name}: ${(result.perConnBytes / 1024).toFixed(1)} KiB per connection (${fmtSeconds(performance.now() - t0)})`,
          );
        } catch (error) {
          record({ ...base, error: String(error.message ?? error) });
          console.log(`[${round}] memory ${job.impl.name} FAILED: ${error.message}`);
        }
      }
    }

    if (want('framing')) {
      const cpu = (placements.same ?? Object.values(placements)[0]).client;
      try {
        record({ kind: 'framing', round, results: await runFramingJob({ cpu, ms: plan.framing.ms, ctx }) });
      } catch (error) {
        record({ kind: 'framing', round, error: String(error.message ?? error) });
      }
    }
    console.log(`round ${round} done in ${fmtSeconds(performance.now() - roundStart)}`);
  }

  const summary = buildSummary(runs);
  const results = {
    version: 1,
    date: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    command,
    machine: { ...machine, loadavgEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    git: gitInfo(),
    build: { ...build, distSha256: snap.distSha256 },
    options: {
      quick: options.quick,
      partial: options.partial,
      placements: placements,
      transports: options.transports,
      workloads: options.workloads,
      ordering: 'blocks',
      seqTargets: pairedImpls ? 'paired' : 'blocks',
      // The environment the paired jobs' processes ran with, on top of the harness's own.
      pairedEnv: pairedEnv ?? {},
      plan,
    },
    implementations: [
      ...impls,
      ...oneshotVariants(impls).filter((v) => !impls.some((i) => i.name === v.name)),
    ].map(({ name, label, note, payload, workloads, transports }) => ({
      name,
      label,
      note,
      payload,
      workloads,
      transports,
    })),
    notes,
    summary,
    targets: evaluateTargets(summary, placementNames, options.transports),
    unixVsTcp: unixVsTcp(summary, placementNames),
    runs,
  };

  const resultsDir = join(BENCH, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const suffix = options.quick ? '-quick' : options.partial ? '-partial' : '';
  const out = options.out ?? join(resultsDir, `${startedAt.toISOString().slice(0, 10)}${suffix}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 1)}\n`);
  console.log(`\nresults: ${relative(process.cwd(), out)}`);
  if (options.writeReport) {
    const report = join(ROOT, 'BENCHMARKS.md');
    writeFileSync(report, renderMarkdown(results, relative(ROOT, out)));
    console.log(`report:  ${relative(process.cwd(), report)}`);
  }
  console.log(`\n${renderSummary(results)}`);
  console.log(`finished in ${fmtSeconds(results.durationMs)}`);
}

main().catch((error) => {
  const usage = error?.usage || error?.code?.startsWith?.('ERR_PARSE_ARGS');
  console.error(usage ? `bench: ${error.message} (see --help)` : (error?.stack ?? error));
  killAll();
  process.exit(1);
});
