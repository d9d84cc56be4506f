// How the command writes numbers, sizes and tables for people (--json writes them raw).

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** 64 → "64 B", 4096 → "4 KiB", 1048576 → "1 MiB", 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** "64", "4k", "4KiB", "1m", "1MiB", "2g" → bytes; undefined when it is not a size. */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!match) return undefined;
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase()] ?? 1;
  const bytes = Math.round(Number(match[1]) * scale);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Three significant digits, as a benchmark's noise allows: 18.2, 181, 1,810. */
export function round3(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Microseconds for people: "18.2 µs", "1.21 ms", "2.5 s". */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 1000) return `${round3(us)} µs`;
  if (us < 1_000_000) return `${round3(us / 1000)} ms`;
  return `${round3(us / 1_000_000)} s`;
}

/** Milliseconds with up to three decimals: "0.142 ms". */
export function formatMillis(ms: number): string {
  return `${ms < 10 ? ms.toFixed(3) : ms < 100 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '-' : `${ratio.toFixed(2)}x`;
}

/** Display width: µ and the like are one column; no wide characters are printed. */
function width(text: string): number {
  return [...text].length;
}

/**
 * Columns padded to their widest cell. ALIGN holds 'l' or 'r' per column
 * (default: left for the first, right for the rest).
 */
export function table(rows: string[][], align?: string): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell));
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = ' '.repeat((widths[i] ?? 0) - width(cell));
          const right = (align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r';
          return right ? pad + cell : i === row.length - 1 ? cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A change as a signed percentage: "+4.1%", "-12%". */
export function formatPercent(change: number): string {
  if (!Number.isFinite(change)) return '-';
  const pct = change * 100;
  return `${pct >= 0 ? '+' : ''}${Math.abs(pct) < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}
