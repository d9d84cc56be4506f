// Shared with `unixipc bench` (lib/cli/bench/stats.ts, built into dist/cli/bench-kit.js: run
// `npx tsup` first, as for everything here): nearest-rank percentiles, medians, latency summaries.
export { latencySummary, median, percentile, summarize } from '../../dist/cli/bench-kit.js';
