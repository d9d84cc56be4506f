// What the benchmark suite in bench/ shares with `unixipc bench` (dist/cli/bench-kit.js):
// statistics, the raw floor's wire format, CPU placement, the machine's description, and charts.
export { type ChartPanel, type ChartSeries, type LogChart, latencyChart, logLineChart } from '../chart.ts';
export { machineBasics } from './machine.ts';
export { allowedCpus, hasTaskset, pinned } from './placement.ts';
export { RAW_HEADER, RawDecoder, rawFrame, rawHeader } from './raw-wire.ts';
export { latencySummary, median, percentile, summarize } from './stats.ts';
