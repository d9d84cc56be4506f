// The shape of a `unixipc bench` run: what the worker measures, and the report (--json) built
// from it. README.md ("unixipc bench --json") documents the report; keep the two in step.
import type { MachineBasics } from './machine.ts';

export type Transport = 'unix' | 'tcp';
/** unixipc's own framing and protocol, or the raw length-prefixed echo over the same transport. */
export type Impl = 'unixipc' | 'raw';
/** One request at a time (latency), CONCURRENCY small requests in flight, or large ones in flight. */
export type Workload = 'latency' | 'pipelined' | 'bulk';

export const SCHEMA = 'unixipc-bench/1';

/** What one client connection measures in one cell. */
export interface Cell {
  workload: Workload;
  size: number;
  concurrency: number;
}

/** The worker client's instructions. */
export interface ClientPlan {
  targets: Array<{
    transport: Transport;
    impl: Impl;
    address: string | { path: string } | { host: string; port: number };
  }>;
  cells: Cell[];
  cycles: number;
  /** Measured time per window (one target, one cycle of one cell). */
  windowMs: number;
  /** Requests per window at most. */
  windowMax: number;
  /** Warm-up of each connection before the first cell, and of each cell before its first window. */
  warmMs: number;
  cellWarmMs: number;
  warmMax: number;
}

/** One figure set: a transport, an implementation, a cell. */
export interface Result extends Cell {
  transport: Transport;
  impl: Impl;
  /** Requests answered in the measured windows, and the time they took (ms). */
  n: number;
  elapsedMs: number;
  rps: number;
  /** bulk: MiB of payload echoed per second. */
  MiBps?: number;
  /** latency: round-trip percentiles in microseconds. */
  latencyUs?: { p50: number; p90: number; p99: number; p999: number; max: number };
}

export type Metric = 'p50' | 'p90' | 'p99' | 'p999' | 'rps' | 'MiBps';

/** One line of the table: a figure per transport and implementation, and its ratios. */
export interface Row extends Cell {
  metric: Metric;
  unit: 'us' | 'req/s' | 'MiB/s';
  better: 'lower' | 'higher';
  /** Per transport: unixipc's figure, the raw floor's, and vsRaw = unixipc / raw. */
  unix?: { unixipc: number; raw: number; vsRaw: number };
  tcp?: { unixipc: number; raw: number; vsRaw: number };
  /** How many times faster AF_UNIX is than TCP (TCP / AF_UNIX for times, AF_UNIX / TCP for rates). */
  unixSpeedup?: { unixipc: number; raw: number };
}

export interface Placement {
  pinned: boolean;
  /** CPUs as taskset took them; null when unpinned. */
  serverCpu: number | null;
  clientCpu: number | null;
  /** Why it is unpinned, or how it is pinned. */
  note: string;
}

export interface Settings {
  transports: Transport[];
  sizes: number[];
  concurrency: number;
  bulkSize: number;
  bulkConcurrency: number;
  /** Measured time per implementation, transport and cell (split into `cycles` windows). */
  durationMs: number;
  /** Requests per implementation, transport and cell at most (null: bounded by time alone). */
  count: number | null;
  cycles: number;
  warmMs: number;
  quick: boolean;
  /** MALLOC_TOP_PAD_ given to the benchmark processes (0: glibc's default). */
  mallocTopPad: number;
  cpus: string;
}

export interface Report {
  schema: typeof SCHEMA;
  unixipc: string;
  date: string;
  elapsedMs: number;
  command: string;
  /** With the load average at the end of the run: on a shared machine, what else was running shows there. */
  machine: MachineBasics & { loadavgEnd?: number[] };
  placement: Placement;
  settings: Settings;
  results: Result[];
  rows: Row[];
}
