// `unixipc bench --compare FILE.json`: each figure of this run beside the same figure of an
// earlier one, with the raw floor's change beside unixipc's (when both moved alike, the
// machine moved, not unixipc).
import { CliError } from '../args.ts';
import { formatPercent, table } from '../format.ts';
import { cellName, formatValue } from './report.ts';
import { type Report, type Row, SCHEMA, type Transport } from './types.ts';

export interface Change {
  before: number;
  now: number;
  /** now / before - 1 */
  change: number;
  rawChange: number;
}

export interface ComparedRow
  extends Pick<Row, 'workload' | 'size' | 'concurrency' | 'metric' | 'unit' | 'better'> {
  unix?: Change;
  tcp?: Change;
}

export interface Comparison {
  against: string;
  date: string;
  unixipc: string;
  rows: ComparedRow[];
}

/** Reads an earlier run's report (--json output); ERR_USAGE when it is not one. */
export function readReport(file: string, what: string): Report {
  const fs = process.getBuiltinModule('node:fs');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      (error as { code?: string }).code ?? 'ERR_USAGE',
      `${what} ${file}: ${(error as Error).message}`,
    );
  }
  let report: Report | undefined;
  try {
    report = JSON.parse(text) as Report;
  } catch {}
  if (report?.schema !== SCHEMA || !Array.isArray(report.rows) || !Array.isArray(report.results)) {
    throw new CliError('ERR_USAGE', `${what} ${file} is not a unixipc bench --json report (${SCHEMA})`, 2);
  }
  return report;
}

const same = (a: Row, b: Row) =>
  a.workload === b.workload && a.size === b.size && a.concurrency === b.concurrency && a.metric === b.metric;

export function compare(now: Report, before: Report, against: string): Comparison {
  const rows: ComparedRow[] = [];
  for (const row of now.rows) {
    const old = before.rows.find((r) => same(r, row));
    if (old === undefined) continue;
    const { workload, size, concurrency, metric, unit, better } = row;
    const out: ComparedRow = { workload, size, concurrency, metric, unit, better };
    for (const t of ['unix', 'tcp'] as const) {
      const a = old[t];
      const b = row[t];
      if (a && b)
        out[t] = {
          before: a.unixipc,
          now: b.unixipc,
          change: b.unixipc / a.unixipc - 1,
          rawChange: b.raw / a.raw - 1,
        };
    }
    if (out.unix || out.tcp) rows.push(out);
  }
  return { against, date: before.date, unixipc: before.unixipc, rows };
}

export function renderComparison(c: Comparison, transports: Transport[]): string {
  const head1 = ['', ''];
  const head2 = ['', ''];
  for (const t of transports) {
    head1.push(`${t === 'unix' ? 'AF_UNIX' : 'TCP'}: unixipc`, '', '', 'raw net');
    head2.push('before', 'now', 'change', 'change');
  }
  const body: string[][] = [];
  let last = '';
  for (const row of c.rows) {
    const name = cellName(row, row.metric);
    const line = [
      name === last ? '' : name,
      row.metric === 'p999'
        ? 'p99.9'
        : row.metric === 'MiBps'
          ? 'MiB/s'
          : row.metric === 'rps'
            ? 'req/s'
            : row.metric,
    ];
    last = name;
    for (const t of transports) {
      const ch = row[t];
      line.push(
        formatValue(row as Row, ch?.before),
        formatValue(row as Row, ch?.now),
        ch ? formatPercent(ch.change) : '-',
        ch ? formatPercent(ch.rawChange) : '-',
      );
    }
    body.push(line);
  }
  return `against ${c.against} (${c.date}, unixipc ${c.unixipc}):\n${table([head1, head2, ...body])}`;
}
