// The processes `unixipc bench` starts (dist/cli/bench-worker.js), pinned by the command:
//   server TRANSPORT DIR   unixipc's echo and the raw floor's over TRANSPORT; prints one JSON line
//                          with their addresses; exits when its stdin closes (the command ended).
//   client PLAN_JSON       runs the plan against the servers, printing {"progress":...} lines and
//                          a last {"results":[...]} line.
// Lines on stdout are the only channel: the command reads them, people never see them.
import { type BenchConnection, Samples, seqLoop, type Window, windowLoop } from './loops.ts';
import { openClient, startServers } from './peers.ts';
import { latencySummary } from './stats.ts';
import type { Cell, ClientPlan, Result, Transport } from './types.ts';

const MiB = 1024 * 1024;

function send(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function server(transport: Transport, dir: string): Promise<void> {
  const servers = await startServers(transport, dir);
  send({ ready: true, pid: process.pid, unixipc: servers.unixipc, raw: servers.raw });
  process.stdin.resume();
  process.stdin.on('end', () => {
    servers.close().finally(() => process.exit(0));
  });
}

function run(
  cell: Cell,
  conn: BenchConnection,
  payload: Buffer,
  ms: number,
  max: number,
  samples: Samples | null,
) {
  return cell.workload === 'latency'
    ? seqLoop(conn, payload, ms, max, samples)
    : windowLoop(conn, payload, cell.concurrency, ms, max);
}

async function client(plan: ClientPlan): Promise<void> {
  // The command going away closes our stdin: stop then, whatever we are doing.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  const conns: BenchConnection[] = [];
  for (const target of plan.targets) conns.push(await openClient(target.impl, target.address));
  const total = plan.targets.length * (1 + plan.cells.length * plan.cycles);
  let done = 0;
  const progress = (label: string) => send({ progress: { done: ++done, total, label } });
  const small = Buffer.alloc(64, 0x61);
  for (const [i, conn] of conns.entries()) {
    await seqLoop(conn, small, plan.warmMs, plan.warmMax, null);
    progress(`warm-up ${plan.targets[i]!.transport} ${plan.targets[i]!.impl}`);
  }
  const results: Result[] = [];
  for (const cell of plan.cells) {
    const payload = Buffer.alloc(cell.size, 0x61);
    for (const conn of conns) conn.inFlight(cell.concurrency > 1);
    const samples = plan.targets.map(() => (cell.workload === 'latency' ? new Samples() : null));
    const totals = plan.targets.map(() => ({ count: 0, elapsedMs: 0 }));
    for (let cycle = 0; cycle < plan.cycles; cycle++) {
      // Each cycle in another order, so that no contender always runs right after the same one.
      const order = plan.targets.map((_, i) => (i + cycle) % plan.targets.length);
      if (cycle % 2 === 1) order.reverse();
      for (const i of order) {
        const conn = conns[i]!;
        if (cycle === 0 && plan.cellWarmMs > 0)
          await run(cell, conn, payload, plan.cellWarmMs, plan.windowMax, null);
        const w: Window = await run(cell, conn, payload, plan.windowMs, plan.windowMax, samples[i]!);
        totals[i]!.count += w.count;
        totals[i]!.elapsedMs += w.elapsedMs;
        const t = plan.targets[i]!;
        progress(`${cell.workload} ${cell.size} B ${t.transport} ${t.impl}`);
      }
    }
    plan.targets.forEach((t, i) => {
      const { count, elapsedMs } = totals[i]!;
      const rps = count / (elapsedMs / 1000);
      const result: Result = { transport: t.transport, impl: t.impl, ...cell, n: count, elapsedMs, rps };
      const s = samples[i];
      if (s) {
        const { p50, p90, p99, p999, max } = latencySummary(s.values, s.length, elapsedMs);
        result.latencyUs = { p50, p90, p99, p999, max };
      }
      if (cell.workload === 'bulk') result.MiBps = (rps * cell.size) / MiB;
      results.push(result);
    });
  }
  send({ results });
  await Promise.all(conns.map((conn) => conn.close()));
  process.exit(0);
}

const [mode, a, b] = process.argv.slice(2);
const failed = (error: unknown) => {
  process.stderr.write(`bench worker (${mode}): ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
};
if (mode === 'server') server(a as Transport, b!).catch(failed);
else if (mode === 'client') client(JSON.parse(a!) as ClientPlan).catch(failed);
else failed(new Error('usage: bench-worker server TRANSPORT DIR | client PLAN_JSON'));
