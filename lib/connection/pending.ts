import { ErrorCodes, IpcError } from '../errors.ts';
import type { Deadline, DeadlineQueue } from './deadlines.ts';

/** Receives the items of a streamed result, for `stream()` or a `request()` that got a stream. */
export interface StreamSink {
  item(value: unknown, bytes: number): void;
  end(): void;
  fail(error: IpcError): void;
}

const ignore = (): void => {};

/**
 * One outgoing request waiting for its answer. Once settled it lets go of
 * everything (callbacks, stream sink, collected items), so a settled entry
 * that waits in the deadline queue behind a slow one keeps no result alive.
 */
export class Pending implements Deadline {
  /** Its own timer: for a timeout other than the connection's default, and for streams. */
  timer: NodeJS.Timeout | undefined = undefined;
  /** Or a place in the connection's queue of default-timeout deadlines. */
  queue: DeadlineQueue<Pending> | undefined = undefined;
  deadline = 0;
  settled = false;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  /** Set for stream() calls; a plain request() that receives stream items collects them instead. */
  sink: StreamSink | undefined = undefined;
  items: unknown[] | undefined = undefined;
  /** Bytes of the items collected for a plain request() (bounded by the caller's maxBufferedBytes). */
  itemBytes = 0;

  constructor(
    readonly id: number,
    readonly method: string,
    private resolve: (value: unknown) => void,
    private reject: (error: IpcError) => void,
  ) {}

  /** Clears the timer, the abort listener and every reference; the caller removes it from the map. */
  dispose(): void {
    this.settled = true;
    this.queue?.settle(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.timer = undefined;
    this.onAbort = undefined;
    this.signal = undefined;
    this.queue = undefined;
    this.sink = undefined;
    this.items = undefined;
    this.resolve = ignore;
    this.reject = ignore;
  }

  settleValue(value: unknown): void {
    const { sink, resolve } = this;
    this.dispose();
    if (sink) {
      // A stream() caller that got a single value sees a one-item stream.
      sink.item(value, 0);
      sink.end();
    } else {
      resolve(value);
    }
  }

  settleError(error: IpcError): void {
    const { sink, reject } = this;
    this.dispose();
    if (sink) sink.fail(error);
    else reject(error);
  }

  /** One item; false when collecting it would go over `maxBytes` (the caller fails the request). */
  streamItem(value: unknown, bytes: number, maxBytes: number): boolean {
    if (this.sink) {
      this.sink.item(value, bytes);
      return true;
    }
    this.itemBytes += bytes;
    if (this.itemBytes > maxBytes) return false;
    if (this.items) this.items.push(value);
    else this.items = [value];
    return true;
  }

  streamEnd(): void {
    const { sink, resolve, items } = this;
    this.dispose();
    if (sink) sink.end();
    else resolve(items ?? []);
  }
}

export function closedError(method: string, cause?: unknown): IpcError {
  return new IpcError(
    ErrorCodes.CLOSED,
    `connection closed before "${method}" was answered`,
    cause === undefined ? {} : { cause },
  );
}

/** The caller's signal fired; `sent`: whether the request had left (it is cancelled on the peer then). */
export function abortedError(method: string, reason: unknown, sent: boolean): IpcError {
  return new IpcError(ErrorCodes.ABORTED, `"${method}" was aborted${sent ? '' : ' before it was sent'}`, {
    cause: reason,
  });
}

export function timeoutError(method: string, timeoutMs: number): IpcError {
  return new IpcError(ErrorCodes.TIMEOUT, `"${method}" timed out after ${timeoutMs} ms`);
}

/** A streamed result collected by request() (or call()) went over the caller's maxBufferedBytes. */
export function tooMuchError(method: string, maxBytes: number): IpcError {
  return new IpcError(
    ErrorCodes.FRAME_TOO_LARGE,
    `the streamed result of "${method}" is over maxBufferedBytes (${maxBytes}) collected; read it with stream(), item by item`,
  );
}
