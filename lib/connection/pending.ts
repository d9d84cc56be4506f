import { ErrorCodes, IpcError } from '../errors.ts';
import type { Deadline, DeadlineQueue } from './deadlines.ts';

/** Receives the items of a streamed result, for `stream()` or a `request()` that got a stream. */
export interface StreamSink {
  item(value: unknown): void;
  end(): void;
  fail(error: IpcError): void;
}

/** One outgoing request waiting for its answer. */
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

  constructor(
    readonly id: number,
    readonly method: string,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: IpcError) => void,
  ) {}

  /** Clears the timer and the abort listener; the caller removes it from the map. */
  dispose(): void {
    this.settled = true;
    this.queue?.settle(this);
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.timer = undefined;
    this.onAbort = undefined;
  }

  settleValue(value: unknown): void {
    this.dispose();
    if (this.sink) {
      // A stream() caller that got a single value sees a one-item stream.
      this.sink.item(value);
      this.sink.end();
    } else {
      this.resolve(value);
    }
  }

  settleError(error: IpcError): void {
    this.dispose();
    if (this.sink) this.sink.fail(error);
    else this.reject(error);
  }

  streamItem(value: unknown): void {
    if (this.sink) this.sink.item(value);
    else if (this.items) this.items.push(value);
    else this.items = [value];
  }

  streamEnd(): void {
    this.dispose();
    if (this.sink) this.sink.end();
    else this.resolve(this.items ?? []);
  }
}

export function closedError(method: string, cause?: unknown): IpcError {
  return new IpcError(
    ErrorCodes.CLOSED,
    `connection closed before "${method}" was answered`,
    cause === undefined ? {} : { cause },
  );
}
