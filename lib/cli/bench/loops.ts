// The load loops of the bench worker: one request at a time, each timed from send to answer;
// or a window of requests in flight. Every loop is bounded by a count and a time, and one whose
// answers stop coming fails STALL_GRACE_MS after its deadline.

export interface BenchConnection {
  send(payload: Buffer, onReply: (reply: Buffer) => void): void;
  /**
   * Whether several requests will be in flight: the raw floor then batches the writes of one
   * tick (cork), as the fastest raw net client does; unixipc batches on its own.
   */
  inFlight(many: boolean): void;
  onError: ((error: Error) => void) | undefined;
  close(): Promise<void> | void;
}

export interface Window {
  count: number;
  elapsedMs: number;
}

const STALL_GRACE_MS = 3_000;

/** Latency samples in ms, growing as needed. */
export class Samples {
  values = new Float64Array(1024);
  length = 0;

  push(ms: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = ms;
  }
}

function bounded(
  conn: BenchConnection,
  ms: number,
  loop: (finish: (w: Window) => void, fail: (e: Error) => void, done: () => boolean) => void,
): Promise<Window> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = () => {
      settled = true;
      clearTimeout(watchdog);
      conn.onError = undefined;
    };
    const fail = (error: Error) => {
      if (settled) return;
      settle();
      reject(error);
    };
    const watchdog = setTimeout(
      () => fail(new Error(`no answer for ${STALL_GRACE_MS} ms after the window's end: the server stalled`)),
      ms + STALL_GRACE_MS,
    );
    conn.onError = fail;
    loop(
      (w) => {
        if (settled) return;
        settle();
        resolve(w);
      },
      fail,
      () => settled,
    );
  });
}

function checkLength(reply: Buffer, length: number): Error | undefined {
  return reply.length === length
    ? undefined
    : new Error(`reply of ${reply.length} bytes, expected ${length}`);
}

/** Round trips one at a time for MS or MAX requests; each one's time goes to SAMPLES. */
export function seqLoop(
  conn: BenchConnection,
  payload: Buffer,
  ms: number,
  max: number,
  samples: Samples | null,
): Promise<Window> {
  return bounded(conn, ms, (finish, fail, done) => {
    let count = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    let start = t0;
    const onReply = (reply: Buffer) => {
      const t = performance.now();
      if (done()) return;
      const wrong = checkLength(reply, payload.length);
      if (wrong) return fail(wrong);
      samples?.push(t - start);
      count++;
      if (count >= max || t >= deadline) return finish({ count, elapsedMs: t - t0 });
      start = performance.now();
      conn.send(payload, onReply);
    };
    conn.send(payload, onReply);
  });
}

/** DEPTH requests in flight: each answer sends the next until MS or MAX requests. */
export function windowLoop(
  conn: BenchConnection,
  payload: Buffer,
  depth: number,
  ms: number,
  max: number,
): Promise<Window> {
  return bounded(conn, ms, (finish, fail, done) => {
    let sent = 0;
    let answered = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const onReply = (reply: Buffer) => {
      if (done()) return;
      const wrong = checkLength(reply, payload.length);
      if (wrong) return fail(wrong);
      answered++;
      const t = performance.now();
      if (sent < max && t < deadline) {
        sent++;
        conn.send(payload, onReply);
      } else if (answered === sent) {
        finish({ count: answered, elapsedMs: t - t0 });
      }
    };
    while (sent < depth && sent < max) {
      sent++;
      conn.send(payload, onReply);
    }
  });
}
