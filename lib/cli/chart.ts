// Charts as SVG strings, by hand: pure functions from figures to markup, no I/O, no dependency.
// `unixipc bench --svg` draws latencyChart(report); bench/ can import logLineChart from
// dist/cli/bench-kit.js for its own.
import type { Report } from './bench/types.ts';

export interface ChartSeries {
  /** The legend's label (series with the same name share a legend entry across panels). */
  name: string;
  color: string;
  dashed?: boolean;
  /** Written as data-* attributes on the series' group, for tools and tests. */
  data?: Record<string, string>;
  /** One value per x label; undefined, zero or negative: no point. */
  values: Array<number | undefined>;
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
}

export interface LogChart {
  title: string;
  subtitle?: string;
  /** The y axis's caption ("round trip (µs, log scale)"). */
  yLabel: string;
  /** The x axis's caption, under the panels. */
  xLabel?: string;
  /** The categories along x, the same in every panel. */
  xLabels: string[];
  panels: ChartPanel[];
  /** Tick labels and tooltips. @default three significant digits */
  format?: (value: number) => string;
  width?: number;
  height?: number;
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif';

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

function plain(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

/** Words of TEXT in lines of at most WIDTH characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Ticks on a log axis from LO to HI (powers of ten): every decade, and 2 and 5 between when there are few. */
function logTicks(lo: number, hi: number): Array<{ value: number; major: boolean }> {
  const decades = Math.round(Math.log10(hi / lo));
  const ticks: Array<{ value: number; major: boolean }> = [];
  for (let d = 0; d <= decades; d++) {
    const base = lo * 10 ** d;
    ticks.push({ value: base, major: true });
    if (d < decades && decades <= 3)
      ticks.push({ value: 2 * base, major: false }, { value: 5 * base, major: false });
  }
  return ticks;
}

const n1 = (x: number) => (Math.round(x * 10) / 10).toString();

/**
 * Small multiples on one shared log-scale y axis: one panel per group (a payload size), the
 * same categories along x in each (percentiles), one line per series, a legend under the title.
 */
export function logLineChart(chart: LogChart): string {
  const W = chart.width ?? 960;
  const H = chart.height ?? 480;
  const format = chart.format ?? plain;
  const left = 84;
  const right = 16;
  // The subtitle wraps at the chart's width (a character of 12.5 px text is 7.5 px wide at most, in the common fonts).
  const subtitle = wrap(chart.subtitle ?? '', Math.floor((W - left - right) / 7.5));
  const legendY = 58 + 17 * subtitle.length;
  const top = legendY + 46;
  const bottom = H - (chart.xLabel ? 58 : 40);
  const gap = 22;
  const panels = chart.panels.length;
  const panelWidth = (W - left - right - gap * (panels - 1)) / Math.max(1, panels);
  const all = chart.panels
    .flatMap((p) => p.series.flatMap((s) => s.values))
    .filter((v): v is number => v !== undefined && v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(all.length > 0 ? Math.min(...all) : 1));
  let hi = 10 ** Math.ceil(Math.log10(all.length > 0 ? Math.max(...all) : 10));
  if (hi <= lo) hi = lo * 10;
  const y = (v: number) =>
    bottom - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (bottom - top);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(chart.title)}" font-family="${escapeXml(FONT)}">`,
    `<title>${escapeXml(chart.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="28" font-size="18" font-weight="600" fill="#1a1a1a">${escapeXml(chart.title)}</text>`,
  );
  subtitle.forEach((line, i) => {
    out.push(
      `<text x="${left}" y="${50 + 17 * i}" font-size="12.5" fill="#555555">${escapeXml(line)}</text>`,
    );
  });
  // Legend: each series name once, in first-seen order.
  const legend = new Map<string, ChartSeries>();
  for (const panel of chart.panels)
    for (const s of panel.series) if (!legend.has(s.name)) legend.set(s.name, s);
  let lx = left;
  out.push('<g class="legend" font-size="12.5" fill="#1a1a1a">');
  for (const s of legend.values()) {
    out.push(
      `<line x1="${lx}" y1="${legendY}" x2="${lx + 26}" y2="${legendY}" stroke="${s.color}" stroke-width="${s.dashed ? 2 : 3}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<circle cx="${lx + 13}" cy="${legendY}" r="3.5" fill="${s.color}"/>`,
      `<text x="${lx + 32}" y="${legendY + 4}">${escapeXml(s.name)}</text>`,
    );
    lx += 44 + s.name.length * 7.2;
  }
  out.push('</g>');
  // Y axis caption and ticks (labels once, on the left; grid lines in every panel).
  const ticks = logTicks(lo, hi);
  out.push(
    `<text transform="translate(18 ${n1((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="12.5" fill="#333333">${escapeXml(chart.yLabel)}</text>`,
    '<g class="y-axis" font-size="11" fill="#444444" text-anchor="end">',
  );
  for (const t of ticks)
    out.push(`<text x="${left - 8}" y="${n1(y(t.value) + 4)}">${escapeXml(format(t.value))}</text>`);
  out.push('</g>');
  chart.panels.forEach((panel, p) => {
    const x0 = left + p * (panelWidth + gap);
    const pad = Math.min(36, panelWidth / 6);
    const x = (i: number) =>
      x0 +
      pad +
      (chart.xLabels.length > 1
        ? (i * (panelWidth - 2 * pad)) / (chart.xLabels.length - 1)
        : (panelWidth - 2 * pad) / 2);
    out.push(
      `<g class="panel" data-panel="${escapeXml(panel.title)}">`,
      `<rect x="${n1(x0)}" y="${top}" width="${n1(panelWidth)}" height="${bottom - top}" fill="#fafafa" stroke="#d0d0d0"/>`,
      `<text x="${n1(x0 + panelWidth / 2)}" y="${top - 10}" text-anchor="middle" font-size="13.5" font-weight="600" fill="#1a1a1a">${escapeXml(panel.title)}</text>`,
    );
    for (const t of ticks) {
      out.push(
        `<line x1="${n1(x0)}" y1="${n1(y(t.value))}" x2="${n1(x0 + panelWidth)}" y2="${n1(y(t.value))}" stroke="${t.major ? '#c8c8c8' : '#e6e6e6'}" stroke-width="1"/>`,
      );
    }
    chart.xLabels.forEach((label, i) => {
      out.push(
        `<text x="${n1(x(i))}" y="${bottom + 18}" text-anchor="middle" font-size="11.5" fill="#444444">${escapeXml(label)}</text>`,
      );
    });
    for (const s of panel.series) {
      const data = Object.entries(s.data ?? {})
        .map(([k, v]) => ` data-${k}="${escapeXml(v)}"`)
        .join('');
      out.push(`<g class="series" data-series="${escapeXml(s.name)}"${data}>`);
      const points = s.values.flatMap((v, i) =>
        v !== undefined && v > 0 && Number.isFinite(v) ? [{ i, v }] : [],
      );
      if (points.length > 1) {
        const d = points.map((pt, k) => `${k === 0 ? 'M' : 'L'}${n1(x(pt.i))} ${n1(y(pt.v))}`).join(' ');
        out.push(
          `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.dashed ? 1.75 : 2.5}"${s.dashed ? ' stroke-dasharray="5 4"' : ''} stroke-linejoin="round"/>`,
        );
      }
      for (const pt of points) {
        out.push(
          `<circle class="point" cx="${n1(x(pt.i))}" cy="${n1(y(pt.v))}" r="${s.dashed ? 3 : 3.75}" fill="${s.dashed ? '#ffffff' : s.color}" stroke="${s.color}" stroke-width="1.5" data-value="${pt.v}"><title>${escapeXml(`${s.name}, ${panel.title}, ${chart.xLabels[pt.i]}: ${format(pt.v)}`)}</title></circle>`,
        );
      }
      out.push('</g>');
    }
    out.push('</g>');
  });
  if (chart.xLabel) {
    out.push(
      `<text x="${n1(left + (W - left - right) / 2)}" y="${H - 14}" text-anchor="middle" font-size="12.5" fill="#333333">${escapeXml(chart.xLabel)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** Microseconds on an axis: "20 µs", "1 ms", "1.5 s". */
export function formatMicrosTick(us: number): string {
  if (us >= 1e6) return `${plain(us / 1e6)} s`;
  if (us >= 1e3) return `${plain(us / 1e3)} ms`;
  return `${plain(us)} µs`;
}

const TRANSPORT_NAMES = { unix: 'AF_UNIX', tcp: 'TCP loopback' } as const;
/** Blue and orange (kept apart by colour-blind readers too); the raw floor in a lighter tone, dashed. */
const COLORS = { unix: ['#1f6fb4', '#7fb0dc'], tcp: ['#d95f02', '#f2a66a'] } as const;

function sizeName(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / 1024 / 1024} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/**
 * The chart of a `unixipc bench` report: round-trip latency percentiles, one panel per payload
 * size, unixipc and the raw net floor over each transport.
 */
export function latencyChart(report: Pick<Report, 'results' | 'machine' | 'placement' | 'unixipc'>): string {
  const latency = report.results.filter((r) => r.workload === 'latency' && r.latencyUs);
  const sizes = [...new Set(latency.map((r) => r.size))].sort((a, b) => a - b);
  const transports = (['unix', 'tcp'] as const).filter((t) => latency.some((r) => r.transport === t));
  const panels = sizes.map((size) => ({
    title: `${sizeName(size)} payload`,
    series: (['unixipc', 'raw'] as const).flatMap((impl) =>
      transports.map((transport) => {
        const r = latency.find((x) => x.size === size && x.transport === transport && x.impl === impl);
        const us = r?.latencyUs;
        return {
          name: `${TRANSPORT_NAMES[transport]}, ${impl === 'unixipc' ? 'unixipc' : 'raw net floor'}`,
          color: COLORS[transport][impl === 'unixipc' ? 0 : 1],
          dashed: impl === 'raw',
          data: { transport, impl, size: String(size) },
          values: us ? [us.p50, us.p90, us.p99, us.p999] : [],
        };
      }),
    ),
  }));
  const m = report.machine;
  return logLineChart({
    title: 'Round-trip latency: AF_UNIX vs TCP loopback',
    subtitle: `unixipc ${report.unixipc} and the raw net floor, one request at a time; ${m.cpuModel ?? m.arch}, ${m.cpus} CPUs, Node ${m.node}, ${report.placement.note}${m.loadavgStart ? `, load average ${m.loadavgStart[0]}` : ''}. Lower is better.`,
    yLabel: 'round trip (log scale)',
    xLabel: 'percentile of round trips',
    xLabels: ['p50', 'p90', 'p99', 'p99.9'],
    panels,
    format: formatMicrosTick,
  });
}
