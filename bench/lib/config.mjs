import { parseArgs } from 'node:util';

export const WORKLOADS = ['seq', 'pipe', 'bulk', 'oneshot', 'mem', 'framing'];
export const TRANSPORTS = ['unix', 'tcp'];
export const PLACEMENTS = ['cross', 'same'];

const MiB = 1024 * 1024;

/** Node's raw net variants: any of them may be the floor a bulk target is judged against. */
export const NODE_RAW_VARIANTS = ['raw', 'raw-cork', 'raw-nagle', 'raw-cork-nagle'];

/**
 * How a first bulk phase warms on until the heap has grown (settleLoop in impl/loops.mjs): until
 * client and server together fault fewer than 16 pages per message in a 100 ms window, or MAX_MS.
 */
const bulkSettle = (maxMs) => ({ faults: 16, windowMs: 100, maxMs });

/**
 * Workloads A, B (256 in flight) and C again, unixipc against its raw floor (and zeromq, for
 * bulk) in short windows taken in turn, a client process per contender (impl/paired.mjs,
 * runPairedJob in jobs.mjs): the figures their targets are judged by. What is compared is
 * fixed; the suite's size sets the windows. `workload` names the --workloads entry that runs it.
 */
function pairedPlan(seq, pipe256, bulk) {
  const bulkPhase = (depth, more) => ({
    workload: 'bulk',
    impls: [...NODE_RAW_VARIANTS, 'unixipc', 'zeromq'],
    size: MiB,
    depth,
    // With glibc kept from trimming, a fresh heap settles within 0.3-0.9 s.
    settle: bulkSettle(2_000),
    ...bulk,
    ...more,
  });
  return {
    phases: {
      seq: { workload: 'seq', impls: ['raw', 'unixipc'], size: 64, ...seq },
      pipe256: { workload: 'pipe', impls: ['raw-cork', 'unixipc'], size: 64, depth: 256, ...pipe256 },
      bulk1: bulkPhase(1),
      // Its processes ran bulk1 just before: warm already.
      bulk4: bulkPhase(4, { warmMs: bulk.warmMs / 2 }),
    },
  };
}

/**
 * What the paired jobs' processes (servers and clients alike) get in their environment by default
 * (`--malloc=default` runs them without it). glibc gives memory back to the kernel whenever the
 * free space at the top of its heap passes a threshold, and a 1 MiB message then lands on fresh
 * pages: 256 page faults, each 10-14 us on this VM. When that happens depends on how the garbage
 * collector's frees fall, so each process of every implementation, the raw floor and zeromq
 * included, spends seconds at a time in a slow or a fast regime (bench/README.md). Keeping 64 MiB
 * at the top of the heap takes that lottery out of the comparison; the separate block runs keep
 * glibc's defaults, so the report shows both.
 */
export const PAIRED_MALLOC_ENV = { MALLOC_TOP_PAD_: String(64 * MiB) };

/**
 * Bounds of every loop: each phase stops at `max` operations or `ms`, whichever
 * comes first. The full suite is sized to finish within 15 minutes on a slow
 * 2-vCPU machine, --quick within about 2.
 */
const FULL = {
  rounds: 3,
  seq: { size: 64, warmMs: 650, ms: 300, max: 30_000 },
  paired: pairedPlan(
    { warmMs: 600, windowMs: 50, cycles: 16, max: 20_000 },
    { warmMs: 500, windowMs: 80, cycles: 8, max: 200_000 },
    { warmMs: 200, windowMs: 80, cycles: 6, max: 2_000 },
  ),
  // 256 in flight is the target's workload: on one CPU every implementation (the raw floor too)
  // flips between a fast and a slow regime every few hundred ms, so it gets the longer window.
  // (The block runs took 489 of the suite's 875 s on 2026-12-02: their sequential warm-up and this
  // window were cut by 150 and 100 ms to keep the suite clear of 15 minutes.)
  pipe: { size: 64, firstWarmMs: 500, warmMs: 100, ms: 250, lastMs: 350, max: 800_000, depths: [64, 256] },
  // The first bulk phase warms on until the heap has grown (client.mjs), at most 0.6 s: under
  // glibc's defaults the faults of most processes never settle (bench/README.md), and a fresh
  // heap takes about that long to grow.
  bulk: {
    size: MiB,
    warmMs: 100,
    ms: 200,
    max: 4_000,
    depths: [1, 4],
    settle: bulkSettle(600),
  },
  // Two pairs per cell and round (six per cell in all): the one-shot cells took 165 s of a 875 s
  // suite with three, and a round that ran slow (311 s against 273-278) would have taken a
  // suite of three such past 15 minutes.
  oneshot: { pairs: 2 },
  mem: { count: 1_000, rounds: 2 },
  framing: { ms: 300 },
};

const QUICK = {
  rounds: 1,
  seq: { size: 64, warmMs: 150, ms: 150, max: 15_000 },
  paired: pairedPlan(
    // Not less: with 300 ms of warm-up and 6 cycles unixipc's p50 came out at 1.7-1.9x raw net's
    // on one CPU in two quick runs (V8 still optimising), against 1.03x with 8 cycles. On a slow
    // day 500 ms was not enough either: unixipc's first 3 of 8 windows on one CPU read 1.3-1.6x.
    { warmMs: 800, windowMs: 40, cycles: 8, max: 10_000 },
    { warmMs: 300, windowMs: 60, cycles: 3, max: 100_000 },
    { warmMs: 100, windowMs: 60, cycles: 3, max: 1_000 },
  ),
  pipe: { size: 64, firstWarmMs: 100, warmMs: 40, ms: 100, max: 150_000, depths: [64, 256] },
  bulk: {
    size: MiB,
    warmMs: 40,
    ms: 100,
    max: 1_000,
    depths: [1, 4],
    settle: bulkSettle(150),
  },
  // One pair per cell, and only with the server on the other CPU (where the server sits hardly
  // matters to a process that spends 99% of its time starting): a quick look, not a verdict (the
  // full suite's medians are).
  oneshot: { pairs: 1, placements: ['cross'] },
  mem: { count: 1_000, rounds: 1 },
  framing: { ms: 100 },
};

/**
 * Warm-up and measured time of the K-th depth of a windowed workload: the first warms up longer
 * (`firstWarmMs`: batching runs code the sequential phase did not), the last may measure longer
 * (`lastMs`).
 */
export function windowTimes(p, k) {
  return {
    warmMs: k === 0 ? (p.firstWarmMs ?? p.warmMs) : p.warmMs,
    ms: k === p.depths.length - 1 ? (p.lastMs ?? p.ms) : p.ms,
  };
}

const HELP = `Usage: npm run bench -- [options]

  --quick                 short phases, one round (about 2 minutes)
  --only=a,b              implementations to run (the raw floors always run):
                          raw, raw-cork, raw-nagle, raw-cork-nagle, unixipc, unixipc-json, unixipc-connect,
                          node-ipc10, node-ipc14, zeromq, http, c
  --workloads=a,b         ${WORKLOADS.join(', ')} (default: all)
  --transports=a,b        unix, tcp (default: both)
  --placements=a,b        cross (server and client on different CPUs), same (one CPU)
  --malloc=tuned|default  glibc settings of the paired jobs' processes: tuned (default) keeps 64 MiB
                          at the top of the heap (MALLOC_TOP_PAD_), default leaves glibc's own
  --rounds=N              rounds, interleaved across implementations (default 3, quick 1)
  --out=FILE              results JSON (default bench/results/<date>[-quick|-partial].json)
  --report                write BENCHMARKS.md even for a quick or partial run
  --no-report             do not write BENCHMARKS.md
  --build                 run tsup first (otherwise only when dist/ is missing)
  --help
`;

function usageError(message) {
  return Object.assign(new Error(message), { usage: true });
}

function list(value, allowed, name) {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (allowed) {
    const bad = items.filter((item) => !allowed.includes(item));
    if (bad.length > 0)
      throw usageError(`--${name}: unknown ${bad.join(', ')} (known: ${allowed.join(', ')})`);
  }
  return items;
}

export function parseOptions(argv = process.argv.slice(2)) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      workloads: { type: 'string' },
      transports: { type: 'string' },
      placements: { type: 'string' },
      rounds: { type: 'string' },
      malloc: { type: 'string', default: 'tuned' },
      out: { type: 'string' },
      report: { type: 'boolean', default: false },
      'no-report': { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const base = values.quick ? QUICK : FULL;
  const rounds = values.rounds === undefined ? base.rounds : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw usageError('--rounds must be 1..20');
  if (!['tuned', 'default'].includes(values.malloc)) throw usageError('--malloc must be tuned or default');
  const options = {
    quick: values.quick,
    malloc: values.malloc,
    only: list(values.only, undefined, 'only'),
    workloads: list(values.workloads, WORKLOADS, 'workloads') ?? WORKLOADS,
    transports: list(values.transports, TRANSPORTS, 'transports') ?? TRANSPORTS,
    placements: list(values.placements, PLACEMENTS, 'placements') ?? PLACEMENTS,
    out: values.out,
    build: values.build,
    argv,
    plan: { ...base, rounds },
  };
  options.partial =
    options.only !== undefined ||
    values.workloads !== undefined ||
    values.transports !== undefined ||
    values.placements !== undefined;
  options.writeReport = !values['no-report'] && (values.report || (!options.quick && !options.partial));
  return options;
}
