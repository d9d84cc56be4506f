import { CliError, HELP, integer, parse, usageError, write, writeJson } from './args.ts';
import { compare, readReport, renderComparison } from './bench/compare.ts';
import { machineBasics } from './bench/machine.ts';
import { choosePlacement } from './bench/placement.ts';
import { progressBar } from './bench/progress.ts';
import { buildRows, renderTable } from './bench/report.ts';
import { runBench, stopAll } from './bench/run.ts';
import { type Report, SCHEMA, type Settings, type Transport } from './bench/types.ts';
import { latencyChart } from './chart.ts';
import { formatBytes, formatRatio, parseBytes } from './format.ts';
import { packageVersion } from './version.ts';

const USAGE = `usage: unixipc bench [options]

How much faster is AF_UNIX than TCP loopback on this machine, for these payloads? unixipc over
each transport (its own framing and protocol, a server in its own process per transport) beside
the raw net floor over the same transport (a length-prefixed echo on node:net, in the same run),
so every figure also shows as a ratio. Measures, per transport:
  round-trip latency (p50, p90, p99, p99.9), one request at a time, for each payload size
  sequential requests/s (the smallest size), pipelined requests/s (--concurrency in flight)
  bulk MiB/s (--bulk messages, 4 in flight)
Each figure is measured in several short windows, taken in turn with the others.

  --quick               a look in a few seconds (shorter windows, fewer of them)
  --duration MS         measured time per figure (default 1000; --quick 120)
  --count N             at most N requests per figure (and per warm-up)
  --sizes LIST          payload sizes for latency (default 64,4k,64k,1m)
  --concurrency N       requests in flight for the pipelined figure (default 64)
  --bulk SIZE           message size for bulk MiB/s (default 1m)
  --transports LIST     unix,tcp (default both)
  --cpus WHERE          auto (default: server and client on two CPUs when there are two),
                        split, same (both on one CPU), none, N (both on CPU N), S,C (taskset)
  --malloc-pad MIB      MALLOC_TOP_PAD_ for the benchmark processes (default 64; 0: glibc's
                        default, under which large messages run at the allocator's whim)
  --json                the report as JSON (schema: README.md, "unixipc bench --json")
  --svg FILE            write a chart of the latency percentiles (SVG)
  --compare FILE.json   print each figure beside an earlier run's (--json output)
  --from FILE.json      report an earlier run (table, --svg, --compare) instead of running

examples:
  unixipc bench --quick
  unixipc bench --sizes 64,16k --transports unix,tcp --cpus same --json > run.json
  unixipc bench --compare run.json --svg latency.svg`;

const OPTIONS = {
  ...HELP,
  quick: { type: 'boolean' },
  duration: { type: 'string' },
  count: { type: 'string' },
  sizes: { type: 'string' },
  concurrency: { type: 'string' },
  bulk: { type: 'string' },
  transports: { type: 'string' },
  cpus: { type: 'string', default: 'auto' },
  'malloc-pad': { type: 'string' },
  json: { type: 'boolean' },
  svg: { type: 'string' },
  compare: { type: 'string' },
  from: { type: 'string' },
} as const;

const MiB = 1024 * 1024;
const MAX_SIZE = 64 * MiB - 1024;

function sizeList(text: string, name: string): number[] {
  const sizes = text.split(',').map((part) => {
    const bytes = parseBytes(part);
    if (bytes === undefined || bytes < 1 || bytes > MAX_SIZE) {
      throw usageError(`${name}: ${JSON.stringify(part)} is not a size from 1 byte to 63 MiB (64, 4k, 1m)`);
    }
    return bytes;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function transportList(text: string): Transport[] {
  const list = text.split(',').map((t) => t.trim());
  for (const t of list)
    if (t !== 'unix' && t !== 'tcp')
      throw usageError(`--transports takes unix and tcp, not ${JSON.stringify(t)}`);
  return (['unix', 'tcp'] as const).filter((t) => list.includes(t));
}

type Values = NonNullable<ReturnType<typeof parse<typeof OPTIONS>>>['values'];

function settingsOf(values: Values): Settings {
  const quick = values.quick === true;
  const count = values.count === undefined ? null : integer(values.count, '--count', 0, { min: 1 });
  const fallbackDuration = quick ? 120 : count !== null ? 30_000 : 1_000;
  const concurrency = integer(values.concurrency, '--concurrency', 64, { min: 1, max: 4096 });
  return {
    transports: transportList(values.transports ?? 'unix,tcp'),
    sizes: sizeList(values.sizes ?? '64,4k,64k,1m', '--sizes'),
    concurrency,
    bulkSize: sizeList(values.bulk ?? '1m', '--bulk')[0]!,
    bulkConcurrency: 4,
    durationMs: integer(values.duration, '--duration', fallbackDuration, { min: 1, max: 3_600_000 }),
    count,
    cycles: quick ? 3 : 5,
    warmMs: quick ? 100 : 500,
    quick,
    mallocTopPad: integer(values['malloc-pad'], '--malloc-pad', 64, { max: 4096 }) * MiB,
    cpus: values.cpus ?? 'auto',
  };
}

/** `unixipc bench`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { max: 0 });
  if (!parsed) return 0;
  const { values } = parsed;
  const earlier = values.compare === undefined ? undefined : readReport(values.compare, '--compare');
  if (values.svg !== undefined) {
    // Before a run, not after it: a run's figures are not lost to a directory that is not there.
    const fs = process.getBuiltinModule('node:fs');
    const { dirname } = process.getBuiltinModule('node:path');
    if (!fs.statSync(dirname(values.svg), { throwIfNoEntry: false })?.isDirectory()) {
      throw usageError(`--svg ${values.svg}: no such directory`);
    }
  }
  const report = values.from === undefined ? await measure(values, argv) : readReport(values.from, '--from');
  if (values.svg !== undefined) {
    process.getBuiltinModule('node:fs').writeFileSync(values.svg, latencyChart(report));
  }
  const comparison = earlier && compare(report, earlier, values.compare!);
  if (values.json) {
    writeJson(comparison ? { ...report, comparison } : report);
    return 0;
  }
  const m = report.machine;
  const s = report.settings;
  write(`unixipc bench: AF_UNIX vs TCP loopback, unixipc ${report.unixipc}, ${report.date}`);
  const load = m.loadavgStart
    ? `; load average ${m.loadavgStart[0]} at the start${m.loadavgEnd ? `, ${m.loadavgEnd[0]} at the end` : ''}`
    : '';
  write(`machine: ${m.cpuModel ?? m.arch}, ${m.cpus} CPUs, ${m.kernel}, Node ${m.node}${load}`);
  write(
    `run: ${report.placement.note}; ${s.durationMs} ms per figure in ${s.cycles} windows` +
      `${s.count === null ? '' : `, at most ${s.count} requests`}; ` +
      `MALLOC_TOP_PAD_ ${s.mallocTopPad > 0 ? formatBytes(s.mallocTopPad) : 'unset'}`,
  );
  write('');
  write(renderTable(report.rows, s.transports));
  write('');
  write(
    "x raw: unixipc's figure over raw net's on the same transport (times: above 1 is slower; rates: below 1 is slower).",
  );
  if (s.transports.length === 2) {
    write(
      "AF_UNIX faster by: TCP's time over AF_UNIX's, or AF_UNIX's rate over TCP's (above 1: AF_UNIX is faster).",
    );
    write(headline(report));
  }
  if (values.svg !== undefined) write(`chart: ${values.svg}`);
  if (comparison) {
    write('');
    write(renderComparison(comparison, s.transports));
  }
  return 0;
}

/** One sentence: AF_UNIX against TCP for unixipc, at the smallest size, pipelined and bulk. */
function headline(report: Report): string {
  const rows = report.rows;
  const p50 = rows.find((r) => r.workload === 'latency' && r.metric === 'p50');
  const pipe = rows.find((r) => r.workload === 'pipelined');
  const bulk = rows.find((r) => r.workload === 'bulk');
  const parts: string[] = [];
  if (p50?.unixSpeedup)
    parts.push(`median round trip ${formatRatio(p50.unixSpeedup.unixipc)} faster (${formatBytes(p50.size)})`);
  if (pipe?.unixSpeedup) parts.push(`${formatRatio(pipe.unixSpeedup.unixipc)} the pipelined rate`);
  if (bulk?.unixSpeedup) parts.push(`${formatRatio(bulk.unixSpeedup.unixipc)} the bulk MiB/s`);
  return `In short, unixipc over AF_UNIX against TCP loopback here: ${parts.join(', ')}.`;
}

async function measure(values: Values, argv: string[]): Promise<Report> {
  const settings = settingsOf(values);
  let placement: Report['placement'];
  try {
    placement = choosePlacement(settings.cpus);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const machine = machineBasics();
  const bar = progressBar(process.stderr);
  const onSignal = () => {
    bar.clear();
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const results = await runBench(settings, placement, (done, total, label) =>
      bar.update(done, total, label),
    );
    const loadavgEnd = process
      .getBuiltinModule('node:os')
      .loadavg()
      .map((x) => Math.round(x * 100) / 100);
    return {
      schema: SCHEMA,
      unixipc: packageVersion(),
      date: new Date(started).toISOString(),
      elapsedMs: Date.now() - started,
      command: ['unixipc', 'bench', ...argv].join(' '),
      machine: { ...machine, loadavgEnd },
      placement,
      settings,
      results,
      rows: buildRows(results),
    };
  } catch (error) {
    throw new CliError('ERR_BENCH', (error as Error).message);
  } finally {
    bar.clear();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
