// The report of a run: every figure beside the raw floor's over the same transport, and AF_UNIX
// beside TCP, as rows (--json) and as a table (people).
import { formatBytes, formatMicros, formatRatio, round3, table } from '../format.ts';
import type { Cell, Metric, Result, Row, Transport } from './types.ts';

const PERCENTILES = ['p50', 'p90', 'p99', 'p999'] as const;

function find(results: Result[], transport: Transport, impl: string, cell: Cell): Result | undefined {
  return results.find(
    (r) =>
      r.transport === transport &&
      r.impl === impl &&
      r.workload === cell.workload &&
      r.size === cell.size &&
      r.concurrency === cell.concurrency,
  );
}

function value(result: Result | undefined, metric: Metric): number | undefined {
  if (result === undefined) return undefined;
  if (metric === 'rps') return result.rps;
  if (metric === 'MiBps') return result.MiBps;
  return result.latencyUs?.[metric];
}

/** The cells of a run in the order they ran, each once. */
function cellsOf(results: Result[]): Cell[] {
  const cells: Cell[] = [];
  for (const r of results) {
    if (
      !cells.some((c) => c.workload === r.workload && c.size === r.size && c.concurrency === r.concurrency)
    ) {
      cells.push({ workload: r.workload, size: r.size, concurrency: r.concurrency });
    }
  }
  return cells;
}

/**
 * The rows of the table: each latency percentile per size, sequential requests/s at the
 * smallest size, pipelined requests/s and bulk MiB/s.
 */
export function buildRows(results: Result[]): Row[] {
  const rows: Row[] = [];
  const cells = cellsOf(results);
  const smallest = Math.min(...cells.filter((c) => c.workload === 'latency').map((c) => c.size));
  for (const cell of cells) {
    const metrics: Metric[] =
      cell.workload === 'latency'
        ? [...PERCENTILES, ...(cell.size === smallest ? (['rps'] as const) : [])]
        : cell.workload === 'pipelined'
          ? ['rps']
          : ['MiBps'];
    for (const metric of metrics) {
      const timed = metric.startsWith('p');
      const row: Row = {
        ...cell,
        metric,
        unit: timed ? 'us' : metric === 'rps' ? 'req/s' : 'MiB/s',
        better: timed ? 'lower' : 'higher',
      };
      for (const transport of ['unix', 'tcp'] as const) {
        const unixipc = value(find(results, transport, 'unixipc', cell), metric);
        const raw = value(find(results, transport, 'raw', cell), metric);
        if (unixipc !== undefined && raw !== undefined)
          row[transport] = { unixipc, raw, vsRaw: unixipc / raw };
      }
      if (row.unix && row.tcp) {
        const speedup = (unix: number, tcp: number) => (timed ? tcp / unix : unix / tcp);
        row.unixSpeedup = {
          unixipc: speedup(row.unix.unixipc, row.tcp.unixipc),
          raw: speedup(row.unix.raw, row.tcp.raw),
        };
      }
      rows.push(row);
    }
  }
  return rows;
}

/** "51.2k", "1.23M". */
export function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return '-';
  if (rate >= 1e6) return `${round3(rate / 1e6)}M`;
  if (rate >= 1e3) return `${round3(rate / 1e3)}k`;
  return round3(rate);
}

export function formatValue(row: Row, value: number | undefined): string {
  if (value === undefined) return '-';
  if (row.unit === 'us') return formatMicros(value);
  return row.unit === 'req/s' ? formatRate(value) : round3(value);
}

const METRIC_NAMES: Record<Metric, string> = {
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  p999: 'p99.9',
  rps: 'req/s',
  MiBps: 'MiB/s',
};

export function cellName(cell: Cell, metric?: Metric): string {
  const size = formatBytes(cell.size);
  switch (cell.workload) {
    case 'latency':
      return metric === 'rps' ? `sequential ${size}` : `round trip ${size}`;
    case 'pipelined':
      return `pipelined ${size} x${cell.concurrency}`;
    case 'bulk':
      return `bulk ${size} x${cell.concurrency}`;
  }
}

/** The table people read: AF_UNIX and TCP side by side, each with unixipc, raw net and their ratio. */
export function renderTable(rows: Row[], transports: Transport[]): string {
  const both = transports.includes('unix') && transports.includes('tcp');
  const head1 = ['', ''];
  const head2 = ['', ''];
  for (const t of transports) {
    head1.push(t === 'unix' ? 'AF_UNIX' : 'TCP loopback', '', '');
    head2.push('unixipc', 'raw net', 'x raw');
  }
  if (both) {
    head1.push('AF_UNIX faster by', '');
    head2.push('unixipc', 'raw net');
  }
  const body: string[][] = [];
  let last = '';
  for (const row of rows) {
    const name = cellName(row, row.metric);
    const line = [name === last ? '' : name, METRIC_NAMES[row.metric]];
    last = name;
    for (const t of transports) {
      const figures = row[t];
      line.push(
        formatValue(row, figures?.unixipc),
        formatValue(row, figures?.raw),
        formatRatio(figures?.vsRaw),
      );
    }
    if (both) line.push(formatRatio(row.unixSpeedup?.unixipc), formatRatio(row.unixSpeedup?.raw));
    body.push(line);
  }
  return table([head1, head2, ...body], `ll${'rrr'.repeat(transports.length)}rr`);
}
