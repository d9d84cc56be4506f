// The load loops, shared by the load generator (client.mjs) and the paired comparison
// (paired.mjs): one request at a time, each timed from send to answer; or a window of
// requests in flight.
import { performance } from 'node:perf_hooks';

/** A request payload of SIZE bytes of the kind an implementation sends ('bytes' or 'string'). */
export function makePayload(kind, size) {
  return kind === 'string' ? 'x'.repeat(size) : Buffer.alloc(size, 0x61);
}

/** Closes CONN gracefully, but never waits more than MS for one a stalled phase left busy. */
export function closeWithin(conn, ms) {
  return Promise.race([conn.close(), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

/** A phase whose answers stop coming ends this long after its deadline. */
export const STALL_GRACE_MS = 3_000;

/**
 * The frame both loops share: LOOP ({ settled, finish, fail }) returns { start, stalled };
 * the promise settles once, with what finish() is given, with the connection's first error
 * (or a wrong-sized reply), or with stalled() if neither came STALL_GRACE_MS after MS.
 */
function bounded(conn, ms, loop) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      fn(value);
    };
    const fail = (error) => settle(reject, error);
    const { start, stalled } = loop({
      settled: () => settled,
      finish: (value) => settle(resolve, value),
      fail,
    });
    const watchdog = setTimeout(() => settle(resolve, stalled()), ms + STALL_GRACE_MS);
    conn.onError = fail;
    start();
  });
}

const wrongSize = (reply, length) => new Error(`reply of ${reply.length} bytes, expected ${length}`);

/** Sequential round trips; fills `samples` (ms) when given. */
export function seqLoop(conn, payload, ms, max, samples) {
  return bounded(conn, ms, ({ settled, finish, fail }) => {
    const length = payload.length;
    let count = 0;
    let start = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const onReply = (reply) => {
      const t = performance.now();
      if (settled()) return;
      if (reply.length !== length) {
        fail(wrongSize(reply, length));
        return;
      }
      if (samples !== null) samples[count] = t - start;
      count++;
      if (count >= max || t >= deadline) {
        finish({ count, elapsedMs: t - t0, stalled: false });
        return;
      }
      start = performance.now();
      conn.send(payload, onReply);
    };
    return {
      start: () => {
        start = performance.now();
        conn.send(payload, onReply);
      },
      stalled: () => ({ count, elapsedMs: performance.now() - t0, stalled: true }),
    };
  });
}

/** DEPTH requests in flight: each answer sends the next one until the count or time runs out. */
export function windowLoop(conn, payload, depth, ms, max) {
  return bounded(conn, ms, ({ settled, finish, fail }) => {
    const length = payload.length;
    let sent = 0;
    let done = 0;
    let last = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const onReply = (reply) => {
      if (settled()) return;
      if (reply.length !== length) {
        fail(wrongSize(reply, length));
        return;
      }
      done++;
      last = performance.now();
      if (sent < max && last < deadline) {
        sent++;
        conn.send(payload, onReply);
      } else if (done === sent) {
        finish({ count: done, elapsedMs: last - t0, stalled: false });
      }
    };
    return {
      start: () => {
        while (sent < depth && sent < max) {
          sent++;
          conn.send(payload, onReply);
        }
      },
      stalled: () => ({ count: done, elapsedMs: performance.now() - t0, stalled: true }),
    };
  });
}

/**
 * Warms CONN on, DEPTH in flight, in SETTLE.windowMs windows until FAULTS() (page faults of the
 * client and its server so far) grows by fewer than SETTLE.faults per message in one, or
 * SETTLE.maxMs has passed: a fresh process first grows its heap to its working set, every page a
 * fault (10-14 us each here; about 0.6 s of 1 MiB messages). Where faults are not counted, one
 * window. Resolves with { settleMs, stalled }.
 */
export async function settleLoop(conn, payload, depth, max, settle, faults) {
  const t0 = performance.now();
  for (;;) {
    const before = faults();
    const w = await windowLoop(conn, payload, depth, settle.windowMs, max);
    const settleMs = Math.round(performance.now() - t0);
    const perMessage = (faults() - before) / Math.max(1, w.count);
    if (w.stalled || perMessage < settle.faults || settleMs > settle.maxMs)
      return { settleMs, stalled: w.stalled };
  }
}
