import type { IpcError } from '../errors.ts';
import type { StreamSink } from './answers.ts';

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: unknown): void;
}

/** Past this many bytes of items waiting unread, the connection stops reading too (items can be large). */
const HIGH_WATER_BYTES = 16 * 1024 * 1024;

/**
 * The caller's side of a streamed result: an async iterator fed by frames.
 * When more than `highWater` items (or 16 MiB of them) wait unread,
 * `onPressure(true)` asks the connection to stop reading; `onPressure(false)`
 * once the reader catches up.
 */
export class StreamReader implements StreamSink, AsyncIterableIterator<unknown> {
  private readonly queue: unknown[] = [];
  /** The byte size of each queued item, and their sum. */
  private readonly sizes: number[] = [];
  private queuedBytes = 0;
  private readonly waiters: Waiter[] = [];
  private finished = false;
  private error: IpcError | undefined = undefined;
  private pressured = false;

  constructor(
    private readonly highWater: number,
    private readonly onPressure: (on: boolean) => void,
    private readonly onCancel: () => void,
    private readonly onActivity: () => void,
  ) {}

  item(value: unknown, bytes: number): void {
    this.onActivity();
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ value, done: false });
      return;
    }
    this.queue.push(value);
    this.sizes.push(bytes);
    this.queuedBytes += bytes;
    if (!this.pressured && (this.queue.length >= this.highWater || this.queuedBytes >= HIGH_WATER_BYTES)) {
      this.pressured = true;
      this.onPressure(true);
    }
  }

  end(): void {
    this.finished = true;
    this.release();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  fail(error: IpcError): void {
    this.finished = true;
    this.error = error;
    this.release();
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift();
      this.queuedBytes -= this.sizes.shift()!;
      if (
        this.pressured &&
        this.queue.length <= this.highWater >> 1 &&
        this.queuedBytes <= HIGH_WATER_BYTES >>> 1
      ) {
        this.release();
      }
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
      this.sizes.length = 0;
      this.queuedBytes = 0;
      this.release();
      this.onCancel();
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private release(): void {
    if (this.pressured) {
      this.pressured = false;
      this.onPressure(false);
    }
  }
}
