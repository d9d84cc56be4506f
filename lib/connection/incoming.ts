import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import { badFrame, decodeValue, frameMeta, Kind, toWireError } from '../protocol/index.ts';
import type { Handler } from '../types/server.ts';
import type { HandlerWaiter, ServerBudget } from './budget.ts';
import type { Connection } from './connection.ts';
import { IncomingCall, neverAborted } from './context.ts';
import { ReadPause } from './read-gate.ts';

const NO_BYTES = Buffer.alloc(0);

export type { Handler } from '../types/server.ts';

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** A handler's result that streams: an async iterable (bytes are a value, even if iterable). */
export function isStreamResult(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/** A held-back frame: its bytes copied, so it pins no read buffer and counts exactly. */
class HeldFrame implements Frame {
  constructor(
    readonly kind: number,
    readonly flags: number,
    readonly id: number,
    readonly metaLength: number,
    readonly buffer: Buffer,
  ) {}
  get start(): number {
    return 0;
  }
  get end(): number {
    return this.buffer.length;
  }
  get body(): Buffer {
    return this.buffer;
  }
}

/** Past this many bytes of frames held back, this side stops reading (control frames still pass before it). */
const HOLD_MAX_BYTES = 1024 * 1024;

export interface IncomingOptions {
  /** Handlers (requests and notifications) run at once before this side holds frames back. */
  maxInFlight: number;
  /** The server-wide count of handlers running, if any. */
  budget?: ServerBudget | undefined;
  /** `ctx.closing`: aborted when the server begins a graceful close. */
  closing?: AbortSignal | undefined;
  lookup?: ((method: string) => Handler | undefined) | undefined;
  /** Notifications with no handler (events, on the client side). */
  onNotify?: ((name: string, data: unknown) => void) | undefined;
}

/**
 * The requests and notifications the peer sent us: running handlers, sending
 * exactly one final frame per request, cancellation, streamed results, and the
 * limits on handlers running (maxInFlight here, maxHandlers server-wide).
 * Work past those limits waits in a backlog, in order; control frames (cancel,
 * ping) and answers to our own requests never wait behind it.
 */
export class Incoming implements HandlerWaiter {
  /** Requests whose handler is still running (a handler that answers at once is never here). */
  private calls: Map<number, IncomingCall> | undefined;
  /** Handlers running: requests in `calls` plus notifications whose handler has not settled. */
  private running = 0;
  /** Frames held back while handlers were at their limit: handled in order as those finish. */
  private backlog: Frame[] = [];
  /** Bytes of the frames in the backlog. */
  heldBytes = 0;
  private drainingBacklog = false;
  /** The last method name and its bytes: most connections call a few methods over and over. */
  private lastMethod = '';
  private lastMethodBytes: Buffer = NO_BYTES;

  constructor(
    private readonly connection: Connection,
    private readonly options: IncomingOptions,
  ) {}

  /** Requests running, plus frames held back. */
  get size(): number {
    return (this.calls?.size ?? 0) + this.backlog.length;
  }

  /**
   * Holds FRAME back when it is work (a request or a notification) and the
   * handlers are at their limit, or earlier work is held: order is kept.
   * Returns false when the frame should be handled now.
   */
  hold(frame: Frame): boolean {
    const kind = frame.kind;
    if (kind !== Kind.REQUEST && kind !== Kind.NOTIFY) return false;
    if (this.backlog.length === 0 && this.running < this.options.maxInFlight) return false;
    this.holdBack(frame);
    return true;
  }

  /** The server-wide handler budget has room again (ServerBudget calls this). */
  handlerRoom(): void {
    if (this.backlog.length > 0) this.drainBacklog();
  }

  onRequest(frame: Frame): void {
    const id = frame.id;
    if (id === 0) throw badFrame('request id 0 is reserved');
    if (this.calls?.has(id)) throw badFrame(`request id ${id} is already in flight`);
    const method = this.methodOf(frame);
    const params = decodeValue(frame);
    if (this.connection.closing) {
      this.sendError(id, new IpcError(ErrorCodes.CLOSED, `the server is closing; "${method}" was not run`));
      return;
    }
    const handler = this.options.lookup?.(method);
    if (handler === undefined) {
      this.sendError(id, new IpcError(ErrorCodes.NO_METHOD, `no method "${method}"`));
      return;
    }
    if (!this.takeSlot()) {
      this.holdBack(frame);
      return;
    }
    const call = new IncomingCall(id, method, this.connection, this.options.closing ?? neverAborted());
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
    if (!this.takeSlot()) {
      this.holdBack(frame);
      return;
    }
    const done = () => this.settled();
    const failed = (error: unknown) => {
      debug(
        'connection %d: notification handler "%s" failed: %s',
        this.connection.id,
        name,
        (error as Error)?.message,
      );
      done();
    };
    let result: unknown;
    try {
      result = handler(
        data,
        new IncomingCall(0, name, this.connection, this.options.closing ?? neverAborted()),
      );
    } catch (error) {
      failed(error);
      return;
    }
    // A notification handler that is still running counts against the limits like a request.
    if (isThenable(result)) result.then(done, failed);
    else done();
  }

  onCancel(id: number): void {
    const call = this.calls?.get(id);
    if (call === undefined) {
      // Not started yet: it leaves the backlog unrun.
      const at = this.backlog.findIndex((frame) => frame.kind === Kind.REQUEST && frame.id === id);
      if (at < 0) return; // already answered: the race is normal
      const [frame] = this.backlog.splice(at, 1);
      this.heldBytes -= frame!.buffer.length;
      this.connection.inputChanged();
      this.sendError(
        id,
        new IpcError(
          ErrorCodes.ABORTED,
          `"${this.methodOf(frame!)}" was cancelled by the caller before it ran`,
        ),
      );
      this.afterBacklogChange();
      return;
    }
    if (call.done) return;
    const reason = new IpcError(ErrorCodes.ABORTED, `"${call.method}" was cancelled by the caller`);
    call.done = true;
    this.calls?.delete(id);
    call.abort(reason);
    this.sendError(id, reason);
    this.connection.checkIdle();
  }

  /**
   * The server is closing: streams still open end now with ERR_IPC_CLOSED (their
   * handlers' signals fire), so that a graceful close does not wait out its
   * timeout behind a stream that may never end by itself. Plain requests finish.
   */
  endStreams(): void {
    for (const call of this.calls?.values() ?? []) {
      if (call.iterator === undefined || call.done) continue;
      const reason = new IpcError(
        ErrorCodes.CLOSED,
        `the server is closing: the stream of "${call.method}" ended`,
      );
      call.done = true;
      this.calls!.delete(call.id);
      call.abort(reason);
      this.sendError(call.id, reason);
    }
    this.connection.checkIdle();
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
    this.heldBytes = 0;
    this.options.budget?.forgetHandlerWaiter(this);
  }

  /** One handler slot, per connection and server-wide; false (and called back later) when none is free. */
  private takeSlot(): boolean {
    if (this.running >= this.options.maxInFlight) return false;
    const budget = this.options.budget;
    if (budget !== undefined && !budget.takeHandler(this)) return false;
    this.running++;
    return true;
  }

  /** A handler finished either way: its slot goes to what waits, here or on another connection. */
  private settled(): void {
    this.running--;
    this.options.budget?.releaseHandler();
    if (this.backlog.length > 0) this.drainBacklog();
    this.connection.checkIdle();
  }

  private holdBack(frame: Frame): void {
    const held = new HeldFrame(
      frame.kind,
      frame.flags,
      frame.id,
      frame.metaLength,
      Buffer.from(frame.buffer.subarray(frame.start, frame.end)),
    );
    this.backlog.push(held);
    this.heldBytes += held.buffer.length;
    this.connection.inputChanged();
    // By bytes only: while little is held, reading goes on, so a CANCEL, a PING's answer and the
    // peer's departure are seen, and the heartbeat can tell a stuck peer from a busy one.
    if (this.heldBytes > HOLD_MAX_BYTES) {
      this.connection.setReadPause(ReadPause.InFlight, true);
    }
  }

  private afterBacklogChange(): void {
    if (this.heldBytes <= HOLD_MAX_BYTES >>> 1) {
      this.connection.setReadPause(ReadPause.InFlight, false);
    }
  }

  private register(call: IncomingCall): void {
    this.calls ??= new Map();
    this.calls.set(call.id, call);
  }

  /** Dispatches a frame (set by the connection: held frames go back through it). */
  dispatch: (frame: Frame) => void = () => {};

  private finish(call: IncomingCall, value: unknown): void {
    if (call.done) {
      this.release(call); // after a cancel or a close: nothing to send, the slot to give back
      return;
    }
    if (isStreamResult(value)) {
      this.register(call);
      void this.streamOut(call, value);
      return;
    }
    try {
      this.connection.message(Kind.RESPONSE, call.id, '', value);
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
    if (call.done) {
      this.release(call);
      return;
    }
    this.complete(call);
    debug(
      'connection %d: handler "%s" failed: %s',
      this.connection.id,
      call.method,
      (error as Error)?.message,
    );
    this.connection.message(Kind.ERROR, call.id, '', toWireError(error, true));
  }

  /** Nothing more is sent for CALL, and its slot is given back. */
  private complete(call: IncomingCall): void {
    call.done = true;
    this.calls?.delete(call.id);
    this.release(call);
  }

  /**
   * Gives CALL's handler slot back, once. A cancelled call, or one whose
   * connection closed, keeps its slot until its handler settles: a handler
   * that ignores its signal still runs, and still counts.
   */
  private release(call: IncomingCall): void {
    if (call.released) return;
    call.released = true;
    this.settled();
  }

  /** Handles held frames while there is room; reading resumes once few are left. */
  private drainBacklog(): void {
    if (this.drainingBacklog) return;
    this.drainingBacklog = true;
    try {
      while (this.backlog.length > 0 && this.connection.writable) {
        if (this.running >= this.options.maxInFlight) break;
        const next = this.backlog.shift()!;
        this.heldBytes -= next.buffer.length;
        const before = this.backlog.length;
        this.dispatch(next);
        // Held again (the server-wide budget is spent): it went back to the end; put it first.
        if (this.backlog.length > before) {
          this.backlog.unshift(this.backlog.pop()!);
          break;
        }
      }
    } finally {
      this.drainingBacklog = false;
    }
    this.connection.inputChanged();
    this.afterBacklogChange();
  }

  private async streamOut(call: IncomingCall, iterable: AsyncIterable<unknown>): Promise<void> {
    const iterator = iterable[Symbol.asyncIterator]();
    call.iterator = iterator;
    try {
      for (;;) {
        const step = await iterator.next();
        if (call.done || !this.connection.writable) {
          this.release(call);
          return;
        }
        if (step.done) break;
        this.connection.message(Kind.STREAM_ITEM, call.id, '', step.value);
        if (!this.connection.ready) await this.connection.waitDrain();
      }
      if (call.done) {
        this.release(call);
        return;
      }
      this.complete(call);
      this.connection.message(Kind.STREAM_END, call.id, '', undefined);
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
    this.connection.message(Kind.ERROR, id, '', toWireError(error));
  }
}
