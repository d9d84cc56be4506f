import { describe, expect, it } from 'vitest';
import { compare } from '../../lib/cli/bench/compare.ts';
import { choosePlacement } from '../../lib/cli/bench/placement.ts';
import { renderBar } from '../../lib/cli/bench/progress.ts';
import { buildRows, renderTable } from '../../lib/cli/bench/report.ts';
import { latencySummary, percentile } from '../../lib/cli/bench/stats.ts';
import type { Report, Result } from '../../lib/cli/bench/types.ts';
import { formatBytes, formatPercent, parseBytes, table } from '../../lib/cli/format.ts';

function result(transport: 'unix' | 'tcp', impl: 'unixipc' | 'raw', more: Partial<Result>): Result {
  return {
    transport,
    impl,
    workload: 'latency',
    size: 64,
    concurrency: 1,
    n: 10,
    elapsedMs: 1,
    rps: 1,
    ...more,
  };
}

const us = (p50: number) => ({ p50, p90: p50 * 2, p99: p50 * 4, p999: p50 * 8, max: p50 * 10 });

const RESULTS: Result[] = [
  result('unix', 'unixipc', { rps: 40_000, latencyUs: us(25) }),
  result('unix', 'raw', { rps: 50_000, latencyUs: us(20) }),
  result('tcp', 'unixipc', { rps: 20_000, latencyUs: us(50) }),
  result('tcp', 'raw', { rps: 25_000, latencyUs: us(40) }),
  result('unix', 'unixipc', { workload: 'bulk', size: 1 << 20, concurrency: 4, rps: 1000, MiBps: 1000 }),
  result('unix', 'raw', { workload: 'bulk', size: 1 << 20, concurrency: 4, rps: 800, MiBps: 800 }),
  result('tcp', 'unixipc', { workload: 'bulk', size: 1 << 20, concurrency: 4, rps: 500, MiBps: 500 }),
  result('tcp', 'raw', { workload: 'bulk', size: 1 << 20, concurrency: 4, rps: 400, MiBps: 400 }),
];

describe('the bench report', () => {
  it('puts each figure beside the raw floor and AF_UNIX beside TCP, the right way up', () => {
    const rows = buildRows(RESULTS);
    expect(rows.map((r) => `${r.workload} ${r.metric}`)).toEqual([
      'latency p50',
      'latency p90',
      'latency p99',
      'latency p999',
      'latency rps',
      'bulk MiBps',
    ]);
    const p50 = rows[0]!;
    expect(p50).toMatchObject({ unit: 'us', better: 'lower' });
    expect(p50.unix).toEqual({ unixipc: 25, raw: 20, vsRaw: 1.25 });
    expect(p50.tcp).toEqual({ unixipc: 50, raw: 40, vsRaw: 1.25 });
    // A time: TCP's over AF_UNIX's. A rate: AF_UNIX's over TCP's. Above 1 means AF_UNIX is faster.
    expect(p50.unixSpeedup).toEqual({ unixipc: 2, raw: 2 });
    expect(rows[4]!.unixSpeedup).toEqual({ unixipc: 2, raw: 2 });
    expect(rows[5]).toMatchObject({ unit: 'MiB/s', better: 'higher', unixSpeedup: { unixipc: 2, raw: 2 } });
    expect(rows[5]!.unix!.vsRaw).toBe(1.25);
    const text = renderTable(rows, ['unix', 'tcp']);
    expect(text.split('\n')[0]).toMatch(/AF_UNIX +TCP loopback +AF_UNIX faster by/);
    expect(text).toMatch(
      /^round trip 64 B +p50 +25 µs +20 µs +1\.25x +50 µs +40 µs +1\.25x +2\.00x +2\.00x$/m,
    );
    expect(text).toMatch(/^bulk 1 MiB x4 +MiB\/s +1,000 +800 +1\.25x +500 +400 +1\.25x +2\.00x +2\.00x$/m);
  });

  it('compares a run with an earlier one figure by figure', () => {
    const before = { date: 'then', unixipc: '0.0.9', rows: buildRows(RESULTS) } as Report;
    const faster = RESULTS.map((r) => (r.latencyUs ? { ...r, latencyUs: us(r.latencyUs.p50 / 2) } : r));
    const now = { rows: buildRows(faster) } as Report;
    const c = compare(now, before, 'old.json');
    expect(c).toMatchObject({ against: 'old.json', date: 'then', unixipc: '0.0.9' });
    expect(c.rows[0]!.unix).toEqual({ before: 25, now: 12.5, change: -0.5, rawChange: -0.5 });
    expect(c.rows[5]!.tcp).toEqual({ before: 500, now: 500, change: 0, rawChange: 0 });
  });

  it('summarises latency with nearest-rank percentiles', () => {
    const samples = Float64Array.from([5, 1, 4, 2, 3, 10, 9, 8, 7, 6].map((ms) => ms / 1000));
    expect(latencySummary(samples, 10, 1000)).toEqual({
      n: 10,
      elapsedMs: 1000,
      rps: 10,
      p50: 5,
      p90: 9,
      p99: 10,
      p999: 10,
      max: 10,
    });
    expect(percentile([], 0.5)).toBeNaN();
  });
});

describe('what the command prints', () => {
  it('reads and writes sizes', () => {
    expect(['64', '4k', '4KiB', '64k', '1m', '1MiB', '1.5k'].map(parseBytes)).toEqual([
      64, 4096, 4096, 65536, 1048576, 1048576, 1536,
    ]);
    expect(parseBytes('lots')).toBeUndefined();
    expect([64, 4096, 1536, 1048576].map(formatBytes)).toEqual(['64 B', '4 KiB', '1.5 KiB', '1 MiB']);
    expect([0.041, -0.5, 0].map(formatPercent)).toEqual(['+4.1%', '-50%', '+0.0%']);
  });

  it('draws a progress bar that fits the terminal', () => {
    expect(renderBar(0, 10, 'start', 80)).toBe(`[${'-'.repeat(40)}]   0%  start`);
    expect(renderBar(5, 10, 'half', 80)).toBe(`[${'#'.repeat(20)}${'-'.repeat(20)}]  50%  half`);
    expect(renderBar(10, 10, 'a very long label '.repeat(10), 60).length).toBe(59);
  });

  it('pads table columns', () => {
    expect(
      table([
        ['a', 'bb'],
        ['ccc', 'd'],
      ]),
    ).toBe('a    bb\nccc   d');
  });

  it('takes --cpus none and refuses what it cannot place', () => {
    expect(choosePlacement('none')).toEqual({
      pinned: false,
      serverCpu: null,
      clientCpu: null,
      note: 'unpinned (--cpus none)',
    });
    expect(() => choosePlacement('everywhere')).toThrow(/--cpus takes/);
    expect(() => choosePlacement('4096')).toThrow(/not one this process may use/);
  });
});
