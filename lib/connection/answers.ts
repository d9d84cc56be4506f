import type { IpcError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import { decodeValue, fromWireError, Kind } from '../protocol/index.ts';
import type { Deadline, DeadlineQueue } from './deadlines.ts';

/*
 * The client side of the protocol's answers, in one place for Connection and
 * call() alike: a request waiting for its answer (Pending), and how an answer
 * frame settles it.
 */

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

/**
 * An answer frame's value: a RESPONSE's or STREAM_ITEM's, an ERROR's as the
 * IpcError it carries, nothing for STREAM_END. Throws ERR_IPC_BAD_FRAME for a
 * malformed one: read it before taking the request it answers, so that a bad
 * frame leaves the request pending (it fails with the connection) rather than lost.
 */
export function readAnswer(frame: Frame): unknown {
  if (frame.kind === Kind.STREAM_END) return undefined;
  const value = decodeValue(frame);
  return frame.kind === Kind.ERROR ? fromWireError(value) : value;
}

/**
 * Settles ENTRY with an answer of KIND (its value from readAnswer, its frame's
 * body BYTES). False when a stream item would take what a plain request()
 * collects past MAX_COLLECTED bytes: the caller fails the request and cancels it.
 */
export function settle(
  entry: Pending,
  kind: number,
  value: unknown,
  bytes: number,
  maxCollected: number,
): boolean {
  switch (kind) {
    case Kind.RESPONSE:
      entry.settleValue(value);
      return true;
    case Kind.ERROR:
      entry.settleError(value as IpcError);
      return true;
    case Kind.STREAM_ITEM:
      return entry.streamItem(value, bytes, maxCollected);
    default:
      entry.streamEnd();
      return true;
  }
}
