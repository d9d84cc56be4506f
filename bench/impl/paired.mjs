// One contender's side of a paired comparison (see runPairedJob in ../lib/jobs.mjs):
// `node paired.mjs --contender JSON` ({ key, client, address, variant, payload, serverPid }). The
// coordinator starts one such process per contender, all pinned to the client CPU, and tells
// them in turn, one line of JSON on stdin each, to take a short window, so a ratio compares
// windows tens of ms apart while each contender keeps a process of its own (its own JIT and
// garbage collector state, as in the separate runs). Only one process works at a time: the
// others wait on stdin.
// Commands, each answered by one JSON line on stdout (or { error }):
//   { op: 'open', mode: 'seq' | 'pipe' | 'bulk', size, max }  a connection for the next phase
//                                                    -> { ok }
//   { op: 'window', ms, depth? }                     sequential: { n, p50, p99 } in us;
//                                                    DEPTH in flight: { n, rps, perRead,
//                                                    perWrite } (requests per syscall),
//                                                    faults, serverFaults (page faults per
//                                                    request of this process, of its server)
//   { op: 'settle', depth, settle }                  warms on until page faults settle
//                                                    (settleLoop) -> { settleMs }
//   { op: 'close' }                                  -> { ok }
// The process exits when stdin ends.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { faultsWith, minorFaults, syscalls } from '../lib/proc-stat.mjs';
import { latencySummary } from '../lib/stats.mjs';
import { closeWithin, makePayload, seqLoop, settleLoop, windowLoop } from './loops.mjs';

const { values } = parseArgs({ options: { contender: { type: 'string' } } });
const contender = JSON.parse(values.contender);
const adapter = await import(`./clients/${contender.client}.mjs`);

let conn;
let payload;
let samples;
let max = 0;

function close() {
  const closing = conn === undefined ? undefined : closeWithin(conn, 500);
  conn = undefined;
  return closing;
}

async function handle(command) {
  switch (command.op) {
    case 'open': {
      if (conn) await close();
      payload = makePayload(contender.payload, command.size);
      max = command.max;
      samples = command.mode === 'seq' ? new Float64Array(max) : undefined;
      conn = await adapter.open(contender.address, { mode: command.mode, variant: contender.variant });
      return { ok: true };
    }
    case 'window': {
      if (!conn) throw new Error('window before open');
      if (command.depth === undefined) {
        const { count, elapsedMs, stalled } = await seqLoop(conn, payload, command.ms, max, samples);
        if (stalled) throw new Error('answers stopped');
        const { p50, p99 } = latencySummary(samples, count, elapsedMs);
        return { n: count, p50, p99 };
      }
      const before = syscalls();
      const faultsBefore = [minorFaults(), minorFaults(contender.serverPid)];
      const run = await windowLoop(conn, payload, command.depth, command.ms, max);
      if (run.stalled) throw new Error('answers stopped');
      const after = syscalls();
      // Page faults per request, this process's and its server's (which serves it alone): a bulk
      // window on fresh memory pays for every page it touches.
      const faults = (now, then) => (run.count > 0 && now >= then ? (now - then) / run.count : undefined);
      // Requests per read and per write syscall of this process: how the pipeline is batched.
      const per = (key) =>
        after && after[key] > before[key] ? run.count / (after[key] - before[key]) : undefined;
      return {
        n: run.count,
        rps: run.count / (run.elapsedMs / 1000),
        perRead: per('syscr'),
        perWrite: per('syscw'),
        faults: faults(minorFaults(), faultsBefore[0]),
        serverFaults: faults(minorFaults(contender.serverPid), faultsBefore[1]),
      };
    }
    case 'settle': {
      if (!conn) throw new Error('settle before open');
      const faults = () => faultsWith(contender.serverPid);
      const { settleMs, stalled } = await settleLoop(
        conn,
        payload,
        command.depth,
        max,
        command.settle,
        faults,
      );
      if (stalled) throw new Error('answers stopped');
      return { settleMs };
    }
    case 'close':
      await close();
      return { ok: true };
    default:
      throw new Error(`unknown command ${JSON.stringify(command.op)}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (error) {
    answer = { error: `${contender.key}: ${error?.message ?? error}` };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
await close();
process.exit(0);
