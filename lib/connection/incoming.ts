import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import { badFrame, decodeValue, frameMeta, Kind, toWireError } from '../protocol/index.ts';
import { IncomingCall, type Peer, type RequestContext } from './context.ts';
import { type Link, ReadPause } from './link.ts';

const NO_BYTES = Buffer.alloc(0);

export type Handler = (params: any, ctx: RequestContext) => unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isStreamResult(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

export interface IncomingOptions {
  /** Requests handled at once before this side stops reading. */
  maxInFlight: number;
  lookup?: ((method: string) => Handler | undefined) | undefined;
  /** Notifications with no handler (events, on the client side). */
  onNotify?: ((name: string, data: unknown) => void) | undefined;
}

/**
 * The requests and notifications the peer sent us: running handlers, sending
 * exactly one final frame per request, cancellation, streamed results, and
 * the maxInFlight limit.
 */
export class Incoming {
  /** Requests whose handler is still running (a handler that answers at once is never here). */
  private calls: Map<number, IncomingCall> | undefined;
  /** Frames read while maxInFlight requests were running: handled in order as those finish. */
  private backlog: Frame[] = [];
  private drainingBacklog = false;
  /** The last method name and its bytes: most connections call a few methods over and over. */
  private lastMethod = '';
  private lastMethodBytes: Buffer = NO_BYTES;

  constructor(
    private readonly link: Link,
    private readonly peer: Peer,
    private readonly options: IncomingOptions,
  ) {}

  /** Requests running, plus frames held back. */
  get size(): number {
    return (this.calls?.size ?? 0) + this.backlog.length;
  }

  /**
   * Holds FRAME back when maxInFlight requests are running (a whole chunk of
   * requests arrives at once), keeping the order of everything after it.
   * Returns false when the frame should be handled now.
   */
  hold(frame: Frame): boolean {
    if (
      this.backlog.length === 0 &&
      (frame.kind !== Kind.REQUEST || (this.calls?.size ?? 0) < this.options.maxInFlight)
    ) {
      return false;
    }
    this.backlog.push(frame);
    this.link.setReadPause(ReadPause.InFlight, true);
    return true;
  }

  onRequest(frame: Frame): void {
    const id = frame.id;
    if (id === 0) throw badFrame('request id 0 is reserved');
    if (this.calls?.has(id)) throw badFrame(`request id ${id} is already in flight`);
    const method = this.methodOf(frame);
    const params = decodeValue(frame);
    if (this.link.closing) {
      this.sendError(id, new IpcError(ErrorCodes.CLOSED, `the server is closing; "${method}" was not run`));
      return;
    }
    const handler = this.options.lookup?.(method);
    if (handler === undefined) {
      this.sendError(id, new IpcError(ErrorCodes.NO_METHOD, `no method "${method}"`));
      return;
    }
    const call = new IncomingCall(id, method, this.peer);
    let result: unknown;
    try {
      result = handler(params, call);
    } catch (error) {
      this.finishError(call, error);
      return;
    }
    // A handler that answered at once was never cancellable: only one still running is registered.
    if (isThenable(result)) {
      this.register(call);
      result.then(
        (value) => this.finish(call, value),
        (error) => this.finishError(call, error),
      );
    } else {
      this.finish(call, result);
    }
  }

  onNotify(frame: Frame): void {
    const name = frameMeta(frame);
    const data = decodeValue(frame);
    const handler = this.options.lookup?.(name);
    if (handler === undefined) {
      this.options.onNotify?.(name, data);
      return;
    }
    const logFailure = (error: unknown) =>
      debug(
        'connection %d: notification handler "%s" failed: %s',
        this.link.id,
        name,
        (error as Error)?.message,
      );
    try {
      const result = handler(data, new IncomingCall(0, name, this.peer));
      if (isThenable(result)) result.then(undefined, logFailure);
    } catch (error) {
      logFailure(error);
    }
  }

  onCancel(id: number): void {
    const call = this.calls?.get(id);
    if (call === undefined || call.done) return; // already answered: the race is normal
    const reason = new IpcError(ErrorCodes.ABORTED, `"${call.method}" was cancelled by the caller`);
    this.complete(call);
    call.abort(reason);
    this.sendError(id, reason);
  }

  /** The connection is gone: every running handler's signal fires. */
  abortAll(cause: IpcError | undefined): void {
    const reason = new IpcError(
      ErrorCodes.CLOSED,
      'the connection closed',
      cause === undefined ? {} : { cause },
    );
    for (const call of this.calls?.values() ?? []) {
      call.done = true;
      call.abort(reason);
    }
    this.calls?.clear();
    this.backlog = [];
  }

  private register(call: IncomingCall): void {
    this.calls ??= new Map();
    this.calls.set(call.id, call);
  }

  /** Dispatches a frame (set by the connection: held frames go back through it). */
  dispatch: (frame: Frame) => void = () => {};

  private finish(call: IncomingCall, value: unknown): void {
    if (call.done) return;
    if (isStreamResult(value)) {
      this.register(call);
      void this.streamOut(call, value);
      return;
    }
    try {
      this.link.message(Kind.RESPONSE, call.id, '', value);
    } catch (error) {
      this.finishError(
        call,
        new IpcError(ErrorCodes.REMOTE, `result of "${call.method}" could not be sent: ${error}`),
      );
      return;
    }
    this.complete(call);
  }

  private finishError(call: IncomingCall, error: unknown): void {
    if (call.done) return;
    this.complete(call);
    debug('connection %d: handler "%s" failed: %s', this.link.id, call.method, (error as Error)?.message);
    this.link.message(Kind.ERROR, call.id, '', toWireError(error, true));
  }

  private complete(call: IncomingCall): void {
    call.done = true;
    this.calls?.delete(call.id);
    if (this.backlog.length > 0) this.drainBacklog();
    this.link.checkIdle();
  }

  /** Handles held frames while there is room; resumes reading once none are left. */
  private drainBacklog(): void {
    if (this.drainingBacklog) return;
    this.drainingBacklog = true;
    try {
      while (this.backlog.length > 0 && this.link.writable) {
        const next = this.backlog[0]!;
        if (next.kind === Kind.REQUEST && (this.calls?.size ?? 0) >= this.options.maxInFlight) return;
        this.backlog.shift();
        this.dispatch(next);
      }
    } finally {
      this.drainingBacklog = false;
    }
    if (this.backlog.length === 0) this.link.setReadPause(ReadPause.InFlight, false);
  }

  private async streamOut(call: IncomingCall, iterable: AsyncIterable<unknown>): Promise<void> {
    const iterator = iterable[Symbol.asyncIterator]();
    call.iterator = iterator;
    try {
      for (;;) {
        const step = await iterator.next();
        if (call.done || !this.link.writable) return;
        if (step.done) break;
        this.link.message(Kind.STREAM_ITEM, call.id, '', step.value);
        if (!this.link.ready) await this.link.waitDrain();
      }
      if (call.done) return;
      this.complete(call);
      this.link.message(Kind.STREAM_END, call.id, '', undefined);
    } catch (error) {
      this.finishError(call, error);
    }
  }

  /**
   * The method name, reusing the last string when the bytes are the same: no
   * string to decode, and a string whose hash the handler map already knows.
   */
  private methodOf(frame: Frame): string {
    const length = frame.metaLength;
    const last = this.lastMethodBytes;
    if (length === last.length && length <= 64) {
      const { buffer, start } = frame;
      let i = 0;
      while (i < length && buffer[start + i] === last[i]) i++;
      if (i === length) return this.lastMethod;
    }
    const method = frameMeta(frame);
    this.lastMethod = method;
    this.lastMethodBytes = Buffer.from(frame.buffer.subarray(frame.start, frame.start + length));
    return method;
  }

  private sendError(id: number, error: unknown): void {
    this.link.message(Kind.ERROR, id, '', toWireError(error));
  }
}
