// `unixipc bench`'s processes: one server process per transport (unixipc's echo and the raw
// floor's), one client process that runs the plan, each pinned as the placement says. This
// process only starts them, relays progress and collects the results.
import type { ChildProcess } from 'node:child_process';
import { pinned } from './placement.ts';
import type { ClientPlan, Placement, Result, Settings, Transport } from './types.ts';

const { spawn } = process.getBuiltinModule('node:child_process');
const fs = process.getBuiltinModule('node:fs');
const { join } = process.getBuiltinModule('node:path');
const os = process.getBuiltinModule('node:os');
const { fileURLToPath } = process.getBuiltinModule('node:url');

/** A child whose stdout is JSON lines. */
class BenchProcess {
  readonly proc: ChildProcess;
  private stderr = '';
  private lines: unknown[] = [];
  private wake: (() => void) | undefined;
  private exit: string | undefined;

  constructor(args: string[], cpu: number | null, env: NodeJS.ProcessEnv) {
    const worker = fileURLToPath(new URL('./bench-worker.js', import.meta.url));
    if (!fs.existsSync(worker)) throw new Error(`${worker} is missing: run the built command (npx tsup)`);
    const [command, argv] = pinned(process.execPath, [worker, ...args], cpu);
    this.proc = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], env });
    let partial = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (text: string) => {
      partial += text;
      for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
        const line = partial.slice(0, newline);
        partial = partial.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {}
      }
      this.wake?.();
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-4000);
    });
    this.proc.stdin!.on('error', () => {});
    this.proc.on('error', (error) => {
      this.exit = error.message;
      this.wake?.();
    });
    this.proc.on('close', (code, signal) => {
      this.exit = `exit ${signal ?? code}`;
      this.wake?.();
    });
  }

  /** The next JSON line; rejects when the child exits first or TIMEOUT ms pass. */
  async next(timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) return line as Record<string, unknown>;
      const tail = this.stderr.trim().split('\n').slice(-8).join('\n');
      if (this.exit !== undefined)
        throw new Error(`a bench process ended (${this.exit})${tail ? `:\n${tail}` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`a bench process printed nothing for ${timeoutMs} ms${tail ? `:\n${tail}` : ''}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Closes its stdin (it exits then) and kills it if it has not within 2 s. */
  stop(): Promise<void> {
    if (this.exit !== undefined) return Promise.resolve();
    this.proc.stdin?.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 2_000);
    timer.unref();
    return new Promise((resolve) => {
      this.proc.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The plan the client runs, from the settings. */
export function clientPlan(settings: Settings, targets: ClientPlan['targets']): ClientPlan {
  const windowMs = Math.max(1, Math.round(settings.durationMs / settings.cycles));
  const small = Math.min(...settings.sizes);
  return {
    targets,
    cells: [
      ...settings.sizes.map((size) => ({ workload: 'latency' as const, size, concurrency: 1 })),
      { workload: 'pipelined', size: small, concurrency: settings.concurrency },
      { workload: 'bulk', size: settings.bulkSize, concurrency: settings.bulkConcurrency },
    ],
    cycles: settings.cycles,
    windowMs,
    windowMax: settings.count === null ? 1e9 : Math.max(1, Math.ceil(settings.count / settings.cycles)),
    warmMs: settings.warmMs,
    cellWarmMs: Math.min(100, Math.round(windowMs / 2)),
    warmMax: settings.count ?? 1e9,
  };
}

/** Everything still running, so that an interrupted run leaves nothing behind. */
const running = new Set<BenchProcess>();

export async function stopAll(): Promise<void> {
  const workers = [...running];
  running.clear();
  await Promise.all(workers.map((worker) => worker.stop()));
}

/** Runs the benchmark; PROGRESS hears each finished window. */
export async function runBench(
  settings: Settings,
  placement: Placement,
  progress: (done: number, total: number, label: string) => void,
): Promise<Result[]> {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'unixipc-bench-'));
  const env = { ...process.env };
  if (settings.mallocTopPad > 0) env.MALLOC_TOP_PAD_ = String(settings.mallocTopPad);
  try {
    const targets: ClientPlan['targets'] = [];
    const servers = settings.transports.map((transport) => {
      const worker = new BenchProcess(['server', transport, dir], placement.serverCpu, env);
      running.add(worker);
      return { transport, worker };
    });
    for (const { transport, worker } of servers) {
      const ready = (await worker.next(15_000)) as {
        unixipc: string;
        raw: ClientPlan['targets'][0]['address'];
      };
      targets.push({ transport: transport as Transport, impl: 'unixipc', address: ready.unixipc });
      targets.push({ transport: transport as Transport, impl: 'raw', address: ready.raw });
    }
    const plan = clientPlan(settings, targets);
    const client = new BenchProcess(['client', JSON.stringify(plan)], placement.clientCpu, env);
    running.add(client);
    // A window is bounded by its time plus 3 s of stall grace; allow the slowest start-up on top.
    const quiet = Math.max(plan.windowMs, plan.warmMs) + 20_000;
    for (;;) {
      const line = await client.next(quiet);
      if (line.progress) {
        const p = line.progress as { done: number; total: number; label: string };
        progress(p.done, p.total, p.label);
      } else if (line.results) {
        return line.results as Result[];
      }
    }
  } finally {
    await stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
