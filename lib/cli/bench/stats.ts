// Statistics for benchmarks: `unixipc bench` and the suite in bench/ (through bench-kit) use these.

/** Nearest-rank percentile of an ascending array (p in 0..1). The C client in bench/c uses the same rule. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return sorted[k]!;
}

export function median(values: number[]): number {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Median with min and max across rounds; non-finite values (failed rounds) are left out. */
export function summarize(values: number[]): { median: number; min: number; max: number; n: number } {
  const xs = values.filter((x) => Number.isFinite(x));
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

export interface LatencySummary {
  n: number;
  elapsedMs: number;
  /** Round trips per second: n over the time they took, one at a time. */
  rps: number;
  /** Microseconds, to 0.1. */
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** Latency summary of COUNT samples in milliseconds, in microseconds. */
export function latencySummary(samplesMs: Float64Array, count: number, elapsedMs: number): LatencySummary {
  const sorted = samplesMs.slice(0, count).sort();
  const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;
  return {
    n: count,
    elapsedMs,
    rps: count / (elapsedMs / 1000),
    p50: us(percentile(sorted, 0.5)),
    p90: us(percentile(sorted, 0.9)),
    p99: us(percentile(sorted, 0.99)),
    p999: us(percentile(sorted, 0.999)),
    max: us(sorted[sorted.length - 1] ?? Number.NaN),
  };
}
