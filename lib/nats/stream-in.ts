import type { IpcError } from '../errors.ts';

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
}

/**
 * The caller's side of a streamed result over NATS: an async iterator fed by messages, which
 * gives the server credit as items are consumed (not as they arrive). The server sends at most
 * `window` items ahead, so at most that many wait here, however slow the reader.
 */
export class StreamIn implements AsyncIterableIterator<unknown> {
  private readonly queue: unknown[] = [];
  private readonly waiters: Waiter[] = [];
  private finished = false;
  private error: IpcError | undefined = undefined;
  private consumed = 0;
  private credited = 0;

  constructor(
    private readonly window: number,
    /** Sends the count of items consumed so far to the server. */
    private readonly credit: (consumed: number) => void,
    private readonly onCancel: () => void,
    /** The reader took an item: the timeout between items starts again. */
    private readonly onActivity: () => void,
  ) {}

  /** Items consumed so far (the credit a keepalive repeats). */
  get consumedCount(): number {
    return this.consumed;
  }

  item(value: unknown): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.consume();
      waiter.resolve({ value, done: false });
      return;
    }
    this.queue.push(value);
  }

  end(): void {
    this.finished = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  fail(error: IpcError): void {
    this.finished = true;
    this.error = error;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift();
      this.consume();
      return Promise.resolve({ value, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Leaving a `for await` early cancels the stream on the server. */
  return(): Promise<IteratorResult<unknown>> {
    if (!this.finished) {
      this.finished = true;
      this.queue.length = 0;
      this.onCancel();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Credit goes back in halves of the window: one message per window/2 items, never a stall. */
  private consume(): void {
    this.consumed++;
    this.onActivity();
    if (this.consumed - this.credited >= Math.max(1, this.window >> 1)) {
      this.credited = this.consumed;
      this.credit(this.consumed);
    }
  }
}
