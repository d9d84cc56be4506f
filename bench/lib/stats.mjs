/** Nearest-rank percentile of an ascending array (p in 0..1). The C client uses the same rule. */
export function percentile(sorted, p) {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return sorted[k];
}

export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Median with min and max across rounds; non-finite values (failed rounds) are left out. */
export function summarize(values) {
  const xs = values.filter((x) => Number.isFinite(x));
  if (xs.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
}

/** Latency summary of one run, in microseconds, from samples in milliseconds. */
export function latencySummary(samplesMs, count, elapsedMs) {
  const sorted = Array.from(samplesMs.subarray(0, count)).sort((a, b) => a - b);
  const us = (ms) => Math.round(ms * 1000 * 10) / 10;
  return {
    n: count,
    elapsedMs,
    rps: count / (elapsedMs / 1000),
    p50: us(percentile(sorted, 0.5)),
    p99: us(percentile(sorted, 0.99)),
    p999: us(percentile(sorted, 0.999)),
    max: us(sorted[sorted.length - 1] ?? Number.NaN),
  };
}
