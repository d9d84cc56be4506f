import { describe, expect, it } from 'vitest';
import type { Report, Result } from '../../lib/cli/bench/types.ts';
import { latencyChart, logLineChart } from '../../lib/cli/chart.ts';
import { findAll, parseXml } from '../xml.ts';

/** Latency results as a bench run would give them: AF_UNIX a little faster, the raw floor below. */
function fakeResults(sizes = [64, 4096, 1024 * 1024]): Result[] {
  const results: Result[] = [];
  for (const transport of ['unix', 'tcp'] as const) {
    for (const impl of ['unixipc', 'raw'] as const) {
      for (const size of sizes) {
        const base = (transport === 'unix' ? 20 : 30) * (impl === 'raw' ? 0.9 : 1) * (1 + size / 65536);
        results.push({
          transport,
          impl,
          workload: 'latency',
          size,
          concurrency: 1,
          n: 1000,
          elapsedMs: 100,
          rps: 10_000,
          latencyUs: { p50: base, p90: base * 1.5, p99: base * 4, p999: base * 9, max: base * 20 },
        });
      }
    }
  }
  return results;
}

const report = {
  unixipc: '0.1.0',
  results: fakeResults(),
  machine: { cpuModel: 'Test CPU <x>', cpus: 2, arch: 'x64', node: 'v20.0.0' },
  placement: { pinned: true, serverCpu: 0, clientCpu: 1, note: 'server on CPU 0, client on CPU 1 (taskset)' },
} as unknown as Report;

describe('the SVG charts', () => {
  it('draws a well-formed SVG with a series per transport and implementation in each payload panel', () => {
    const svg = parseXml(latencyChart(report));
    expect(svg.name).toBe('svg');
    expect(svg.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(svg.attributes.viewBox).toMatch(/^0 0 \d+ \d+$/);
    expect(findAll(svg, (e) => e.name === 'title')[0]!.text).toBe(
      'Round-trip latency: AF_UNIX vs TCP loopback',
    );
    const panels = findAll(svg, (e) => e.attributes.class === 'panel');
    expect(panels.map((p) => p.attributes['data-panel'])).toEqual([
      '64 B payload',
      '4 KiB payload',
      '1 MiB payload',
    ]);
    for (const panel of panels) {
      const series = findAll(panel, (e) => e.attributes.class === 'series');
      expect(
        series.map((s) => `${s.attributes['data-transport']} ${s.attributes['data-impl']}`).sort(),
      ).toEqual(['tcp raw', 'tcp unixipc', 'unix raw', 'unix unixipc']);
      for (const s of series) {
        const points = findAll(s, (e) => e.attributes.class === 'point');
        expect(points).toHaveLength(4); // p50, p90, p99, p99.9
        expect(findAll(s, (e) => e.name === 'path')).toHaveLength(1);
        const size = Number(s.attributes['data-size']);
        const r = report.results.find(
          (x) =>
            x.size === size &&
            x.transport === s.attributes['data-transport'] &&
            x.impl === s.attributes['data-impl'],
        )!;
        expect(points.map((p) => Number(p.attributes['data-value']))).toEqual([
          r.latencyUs!.p50,
          r.latencyUs!.p90,
          r.latencyUs!.p99,
          r.latencyUs!.p999,
        ]);
      }
    }
    // A legend entry per series, and the axes' words.
    const legend = findAll(svg, (e) => e.attributes.class === 'legend')[0]!;
    expect(findAll(legend, (e) => e.name === 'text').map((t) => t.text)).toEqual([
      'AF_UNIX, unixipc',
      'TCP loopback, unixipc',
      'AF_UNIX, raw net floor',
      'TCP loopback, raw net floor',
    ]);
    const texts = findAll(svg, (e) => e.name === 'text').map((t) => t.text);
    expect(texts).toContain('round trip (log scale)');
    expect(texts).toContain('p99.9');
    // The machine's name was escaped, and reads back as written.
    expect(texts.join(' ')).toContain('Test CPU <x>');
  });

  it('puts values on a log scale: each tenfold step is the same height', () => {
    const svg = parseXml(
      logLineChart({
        title: 'scale',
        yLabel: 'y',
        xLabels: ['a', 'b', 'c'],
        panels: [{ title: 'one', series: [{ name: 's', color: '#000', values: [10, 100, 1000] }] }],
      }),
    );
    const ys = findAll(svg, (e) => e.attributes.class === 'point').map((p) => Number(p.attributes.cy));
    expect(ys[0]! - ys[1]!).toBeGreaterThan(10);
    expect(ys[0]! - ys[1]!).toBeCloseTo(ys[1]! - ys[2]!, 0);
    // Ticks at each power of ten from 10 to 1000, with 2 and 5 between (three decades or fewer).
    const ticks = findAll(svg, (e) => e.attributes.class === 'y-axis')[0]!.children.map((t) => t.text);
    expect(ticks).toEqual(['10', '20', '50', '100', '200', '500', '1000']);
  });

  it('escapes what it is given, and leaves out values it cannot place', () => {
    const out = logLineChart({
      title: 'a < b & "c"',
      yLabel: 'y',
      xLabels: ['x<1', 'x2'],
      panels: [
        {
          title: '&',
          series: [{ name: '<script>', color: '#000', values: [5, undefined], data: { k: '"' } }],
        },
      ],
    });
    expect(out).not.toContain('<script>');
    const svg = parseXml(out);
    expect(findAll(svg, (e) => e.attributes.class === 'point')).toHaveLength(1);
    expect(findAll(svg, (e) => e.attributes.class === 'series')[0]!.attributes['data-k']).toBe('"');
  });
});

describe('parseXml (the tests rely on it rejecting what is not well formed)', () => {
  it.each([
    ['<svg><g></svg>', /closes/],
    ['<svg><text>a < b</text></svg>', /malformed tag|stray/],
    ['<svg><text>a & b</text></svg>', /unescaped/],
    ['<svg a=1></svg>', /malformed/],
    ['<svg></svg><svg></svg>', /more than one root/],
    ['<svg>', /never closed/],
  ])('rejects %s', (source, error) => {
    expect(() => parseXml(source)).toThrow(error);
  });
});
