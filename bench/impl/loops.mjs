// The load loops, shared by the load generator (client.mjs) and the paired comparison
// (paired.mjs): one request at a time, each timed from send to answer; or a window of
// requests in flight.
import { performance } from 'node:perf_hooks';

/** A phase whose answers stop coming ends this long after its deadline. */
export const STALL_GRACE_MS = 3_000;

/** Sequential round trips; fills `samples` (ms) when given. */
export function seqLoop(conn, payload, ms, max, samples) {
  return new Promise((resolve, reject) => {
    const length = payload.length;
    let count = 0;
    let start = 0;
    let settled = false;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const finish = (stalled, end) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      resolve({ count, elapsedMs: end - t0, stalled });
    };
    const watchdog = setTimeout(() => finish(true, performance.now()), ms + STALL_GRACE_MS);
    conn.onError = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      reject(error);
    };
    const onReply = (reply) => {
      const t = performance.now();
      if (settled) return;
      if (reply.length !== length) {
        conn.onError(new Error(`reply of ${reply.length} bytes, expected ${length}`));
        return;
      }
      if (samples !== null) samples[count] = t - start;
      count++;
      if (count >= max || t >= deadline) {
        finish(false, t);
        return;
      }
      start = performance.now();
      conn.send(payload, onReply);
    };
    start = performance.now();
    conn.send(payload, onReply);
  });
}

/** DEPTH requests in flight: each answer sends the next one until the count or time runs out. */
export function windowLoop(conn, payload, depth, ms, max) {
  return new Promise((resolve, reject) => {
    const length = payload.length;
    let sent = 0;
    let done = 0;
    let last = 0;
    let settled = false;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const finish = (stalled) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      resolve({ count: done, elapsedMs: (stalled ? performance.now() : last) - t0, stalled });
    };
    const watchdog = setTimeout(() => finish(true), ms + STALL_GRACE_MS);
    conn.onError = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      reject(error);
    };
    const onReply = (reply) => {
      if (settled) return;
      if (reply.length !== length) {
        conn.onError(new Error(`reply of ${reply.length} bytes, expected ${length}`));
        return;
      }
      done++;
      last = performance.now();
      if (sent < max && last < deadline) {
        sent++;
        conn.send(payload, onReply);
      } else if (done === sent) {
        finish(false);
      }
    };
    while (sent < depth && sent < max) {
      sent++;
      conn.send(payload, onReply);
    }
  });
}
