// The methods of `unixipc serve`: small, each showing one thing a handler can do.
import type { RequestContext } from '../server/server.ts';

/** Resolves after MS, or rejects with the signal's reason as soon as it fires (a cancelled request). */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function milliseconds(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new TypeError(`${name} must be a number of ms from 0 to ${max}`);
  }
  return value;
}

const HOUR = 3_600_000;

export const demoHandlers = {
  /** Returns its params unchanged (a Buffer comes back as bytes). */
  echo: (params: unknown) => params,

  upper(text: unknown): string {
    if (typeof text !== 'string') throw new TypeError('upper takes a string, e.g. "hello"');
    return text.toUpperCase();
  },

  /** The server's clock. */
  time: () => {
    const now = new Date();
    return { iso: now.toISOString(), epochMs: now.getTime() };
  },

  /** sleep(MS) or sleep({ ms }): answers after MS; a cancelled or timed-out request stops it at once. */
  async sleep(params: unknown, ctx: RequestContext): Promise<{ slept: number }> {
    const ms = milliseconds(
      typeof params === 'object' && params !== null ? (params as { ms?: unknown }).ms : params,
      'ms',
      HOUR,
    );
    await wait(ms, ctx.signal);
    return { slept: ms };
  },

  /** A stream: count(N) or count({ from, to, delay }) yields from..to, DELAY ms apart (default 1..10, 100 ms). */
  async *count(params: unknown, ctx: RequestContext): AsyncGenerator<number> {
    const o = typeof params === 'number' ? { to: params } : ((params ?? {}) as Record<string, unknown>);
    const from = o.from ?? 1;
    const to = o.to ?? 10;
    const delay = milliseconds(o.delay ?? 100, 'delay', HOUR);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) {
      throw new TypeError('count takes N or { from, to, delay } with integers from and to');
    }
    for (let n = from as number; n <= (to as number); n++) {
      if (n > (from as number) && delay > 0) await wait(delay, ctx.signal);
      yield n;
    }
  },
};
