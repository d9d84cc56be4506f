// `unixipc bench` with tiny counts: the report's shape, positive figures, p50 <= p99, the SVG.
// Timed figures are never checked here: a shared machine makes them anything.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../lib/cli/bench/types.ts';
import { cli, cliJson } from '../cli-helpers.ts';
import { cleanup, tempDir } from '../helpers.ts';
import { findAll, parseXml } from '../xml.ts';

afterAll(cleanup);

const TINY = ['--quick', '--count', '9', '--sizes', '64,4k', '--bulk', '64k', '--concurrency', '4'];

describe('unixipc bench', () => {
  let dir: string;
  let report: Report;
  let stderr: string;

  beforeAll(async () => {
    dir = tempDir();
    // Its temporary directory goes under TMPDIR: the test sees that nothing is left there.
    const run = await cliJson<Report>(['bench', ...TINY, '--svg', join(dir, 'chart.svg')], {
      env: { TMPDIR: dir },
      timeout: 60_000,
    });
    expect(run.exitCode).toBe(0);
    report = run.json;
    stderr = run.stderr;
    writeFileSync(join(dir, 'run.json'), JSON.stringify(report));
  }, 90_000);

  it('measures unixipc and the raw floor over AF_UNIX and TCP, in the documented shape', () => {
    expect(report.schema).toBe('unixipc-bench/1');
    expect(report.unixipc).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(report.date)).toBeGreaterThan(0);
    expect(report.elapsedMs).toBeGreaterThan(0);
    expect(report.command).toBe(`unixipc bench ${TINY.join(' ')} --svg ${join(dir, 'chart.svg')} --json`);
    expect(report.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
    expect(report.placement).toEqual(
      expect.objectContaining({ pinned: expect.any(Boolean), note: expect.any(String) }),
    );
    expect(report.settings).toMatchObject({
      transports: ['unix', 'tcp'],
      sizes: [64, 4096],
      concurrency: 4,
      bulkSize: 65536,
      bulkConcurrency: 4,
      count: 9,
      quick: true,
    });
    const keys = report.results.map(
      (r) => `${r.transport} ${r.impl} ${r.workload} ${r.size}x${r.concurrency}`,
    );
    const expected = ['unix', 'tcp'].flatMap((t) =>
      ['unixipc', 'raw'].flatMap((impl) => [
        `${t} ${impl} latency 64x1`,
        `${t} ${impl} latency 4096x1`,
        `${t} ${impl} pipelined 64x4`,
        `${t} ${impl} bulk 65536x4`,
      ]),
    );
    expect(keys.sort()).toEqual(expected.sort());
  });

  it('gives positive figures, percentiles in order, and counts within --count', () => {
    for (const r of report.results) {
      expect(r.n, `${r.transport} ${r.impl} ${r.workload}`).toBeGreaterThan(0);
      expect(r.n).toBeLessThanOrEqual(9);
      expect(r.elapsedMs).toBeGreaterThan(0);
      expect(r.rps).toBeGreaterThan(0);
      if (r.workload === 'latency') {
        const { p50, p90, p99, p999, max } = r.latencyUs!;
        expect(p50).toBeGreaterThan(0);
        expect(p50).toBeLessThanOrEqual(p90);
        expect(p90).toBeLessThanOrEqual(p99);
        expect(p99).toBeLessThanOrEqual(p999);
        expect(p999).toBeLessThanOrEqual(max);
      } else {
        expect(r.latencyUs).toBeUndefined();
      }
      if (r.workload === 'bulk') expect(r.MiBps).toBeCloseTo((r.rps * r.size) / 1024 / 1024, 6);
    }
  });

  it('shows every figure as a ratio to the raw floor, and AF_UNIX against TCP', () => {
    const metrics = report.rows.map((r) => `${r.workload} ${r.size} ${r.metric}`);
    expect(metrics).toEqual([
      'latency 64 p50',
      'latency 64 p90',
      'latency 64 p99',
      'latency 64 p999',
      'latency 64 rps',
      'latency 4096 p50',
      'latency 4096 p90',
      'latency 4096 p99',
      'latency 4096 p999',
      'pipelined 64 rps',
      'bulk 65536 MiBps',
    ]);
    for (const row of report.rows) {
      for (const t of ['unix', 'tcp'] as const) {
        const f = row[t]!;
        expect(f.unixipc).toBeGreaterThan(0);
        expect(f.raw).toBeGreaterThan(0);
        expect(f.vsRaw).toBeCloseTo(f.unixipc / f.raw, 9);
      }
      const timed = row.better === 'lower';
      expect(row.unixSpeedup!.unixipc).toBeCloseTo(
        timed ? row.tcp!.unixipc / row.unix!.unixipc : row.unix!.unixipc / row.tcp!.unixipc,
        9,
      );
    }
  });

  it('writes an SVG holding both transports’ latency series, and leaves no temporary files', () => {
    const svg = parseXml(readFileSync(join(dir, 'chart.svg'), 'utf8'));
    expect(svg.name).toBe('svg');
    const series = findAll(svg, (e) => e.attributes.class === 'series');
    for (const transport of ['unix', 'tcp']) {
      for (const size of ['64', '4096']) {
        const one = series.filter(
          (s) => s.attributes['data-transport'] === transport && s.attributes['data-size'] === size,
        );
        expect(one.map((s) => s.attributes['data-impl']).sort()).toEqual(['raw', 'unixipc']);
        for (const s of one) expect(findAll(s, (e) => e.attributes.class === 'point')).toHaveLength(4);
      }
    }
    // (unixipc-UID is the library's private runtime directory, kept on purpose.)
    expect(readdirSync(dir).filter((name) => name.startsWith('unixipc-bench-'))).toEqual([]);
    // Piped stderr: no progress bar.
    expect(stderr).toBe('');
  });

  it('prints the table from a saved run, and the difference against an earlier one', async () => {
    const table = await cli(['bench', '--from', join(dir, 'run.json')]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/AF_UNIX +TCP loopback +AF_UNIX faster by/);
    expect(table.stdout).toMatch(/^round trip 64 B +p50 +\S+ µs|ms/m);
    expect(table.stdout).toMatch(/^bulk 64 KiB x4 +MiB\/s /m);
    expect(table.stdout).toMatch(
      /^In short, unixipc over AF_UNIX against TCP loopback here: median round trip /m,
    );
    const compared = await cliJson([
      'bench',
      '--from',
      join(dir, 'run.json'),
      '--compare',
      join(dir, 'run.json'),
    ]);
    expect(compared.json.comparison.against).toBe(join(dir, 'run.json'));
    expect(compared.json.comparison.rows).toHaveLength(report.rows.length);
    for (const row of compared.json.comparison.rows) {
      expect(row.unix).toMatchObject({ change: 0, rawChange: 0 });
      expect(row.tcp).toMatchObject({ change: 0, rawChange: 0 });
    }
    const text = await cli(['bench', '--from', join(dir, 'run.json'), '--compare', join(dir, 'run.json')]);
    expect(text.stdout).toMatch(/^against .*run\.json \(/m);
    expect(text.stdout).toMatch(/^round trip 64 B +p50 +\S+ \S+ +\S+ \S+ +\+0\.0% +\+0\.0%/m);
  });

  it('runs one transport alone', async () => {
    const { exitCode, json } = await cliJson<Report>(
      ['bench', ...TINY, '--transports', 'unix', '--sizes', '64', '--cpus', 'none'],
      { timeout: 60_000 },
    );
    expect(exitCode).toBe(0);
    expect(json.placement).toEqual({
      pinned: false,
      serverCpu: null,
      clientCpu: null,
      note: 'unpinned (--cpus none)',
    });
    expect(new Set(json.results.map((r) => r.transport))).toEqual(new Set(['unix']));
    for (const row of json.rows) {
      expect(row.tcp).toBeUndefined();
      expect(row.unixSpeedup).toBeUndefined();
    }
  }, 60_000);

  it('refuses options it cannot take, with ERR_USAGE', async () => {
    for (const args of [
      ['--sizes', '0'],
      ['--sizes', 'big'],
      ['--transports', 'udp'],
      ['--cpus', 'everywhere'],
      ['--concurrency', '0'],
      ['--from', join(dir, 'chart.svg')],
      ['--svg', join(dir, 'no', 'such', 'chart.svg')],
    ]) {
      const result = await cli(['bench', ...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^unixipc: ERR_USAGE: /);
    }
  });
});
