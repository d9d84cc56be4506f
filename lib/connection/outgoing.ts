import { abortedError, closedError, ErrorCodes, IpcError, timeoutError, tooMuchError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import { badFrame, Kind } from '../protocol/index.ts';
import { Pending, readAnswer, settle } from './answers.ts';
import type { Connection } from './connection.ts';
import { DeadlineQueue } from './deadlines.ts';
import { IdTable } from './id-table.ts';
import { ReadPause } from './read-gate.ts';
import { StreamReader } from './stream-reader.ts';

export interface RequestOptions {
  /** ms before the request fails with ERR_IPC_TIMEOUT and is cancelled on the server. */
  timeout?: number;
  /** Aborting it fails the request with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
}

const STREAM_HIGH_WATER = 256;
const MAX_ID = 0xffffffff;

/**
 * The requests this side sent: ids, timeouts, cancellation, and matching
 * each answer to its caller. An answer for an id that is neither pending nor
 * cancelled by us is a protocol error.
 */
export class Outgoing {
  // Made on first use: a server's connections rarely send requests of their own.
  private pending: IdTable<Pending> | undefined;
  /** Ids we cancelled whose final frame has not arrived yet: it is expected, not a protocol error. */
  private cancelled: Set<number> | undefined;
  private deadlines: DeadlineQueue<Pending> | undefined;
  private nextId = 1;
  /** The ids have wrapped around once: from now on one may still be in use. */
  private wrapped = false;

  constructor(
    private readonly connection: Connection,
    private readonly defaultTimeout: number,
    /** The most bytes of stream items a plain request() collects (a hostile server could send without end). */
    private readonly maxCollectedBytes = Number.POSITIVE_INFINITY,
  ) {}

  get size(): number {
    return this.pending?.size ?? 0;
  }

  /** Sends a request; `peerMaxFrameBytes` (0: unknown) fails an oversized one alone, unsent. */
  start(
    method: string,
    params: unknown,
    options: RequestOptions | undefined,
    stream: boolean,
    peerMaxFrameBytes: number,
  ): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(abortedError(method, signal.reason, false));
    }
    const id = this.allocateId();
    // Encoded straight into the write batch: nothing can answer before this function returns.
    let bodyBytes: number;
    try {
      bodyBytes = this.connection.message(Kind.REQUEST, id, method, params, peerMaxFrameBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.connection.writable) {
      // Writing it overflowed a peer that does not read, and the connection is gone.
      return Promise.reject(closedError(method, undefined));
    }
    if (bodyBytes < 0) {
      return Promise.reject(
        new IpcError(
          ErrorCodes.FRAME_TOO_LARGE,
          `"${method}" request is over the server's maxFrameBytes (${peerMaxFrameBytes})`,
        ),
      );
    }
    this.pending ??= new IdTable();
    const pending = this.pending;
    return new Promise((resolve, reject) => {
      const entry = new Pending(id, method, resolve, reject);
      pending.add(entry);
      // A stream is timed only when its caller says so (then between items): a watch may be idle for hours.
      const timeout = options?.timeout ?? (stream ? 0 : this.defaultTimeout);
      if (timeout > 0 && Number.isFinite(timeout)) {
        if (timeout === this.defaultTimeout && !stream) {
          entry.deadline = this.connection.batchTime() + timeout;
          this.deadlines ??= new DeadlineQueue<Pending>((expired) =>
            this.expire(expired, this.defaultTimeout),
          );
          entry.queue = this.deadlines;
          this.deadlines.add(entry);
        } else {
          entry.timer = setTimeout(() => this.expire(entry, timeout), timeout);
        }
      }
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () => this.cancel(entry, abortedError(method, signal.reason, true));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      if (stream) {
        entry.sink = new StreamReader(
          STREAM_HIGH_WATER,
          (on) => this.connection.setReadPause(ReadPause.SlowStreamReader, on),
          () => this.cancel(entry, undefined),
          // The timeout the caller gave is the longest wait between items.
          () => entry.timer?.refresh(),
        );
        resolve(entry.sink);
      }
    });
  }

  /**
   * The entry an answer belongs to. `final`: RESPONSE, ERROR or STREAM_END,
   * after which the id is free. Undefined for the late answer of a request we
   * cancelled; throws ERR_IPC_BAD_FRAME for an id we never used.
   */
  private take(id: number, final: boolean): Pending | undefined {
    const entry = final ? this.pending?.delete(id) : this.pending?.get(id);
    if (entry !== undefined) {
      if (final) this.connection.checkIdle();
      return entry;
    }
    if (this.cancelled?.has(id)) {
      if (final) this.cancelled.delete(id);
      return undefined;
    }
    throw badFrame(`${final ? 'answer' : 'stream item'} for unknown request id ${id}`);
  }

  /** An answer frame: RESPONSE, ERROR (with an id), STREAM_ITEM or STREAM_END. */
  answer(frame: Frame): void {
    const value = readAnswer(frame);
    const entry = this.take(frame.id, frame.kind !== Kind.STREAM_ITEM);
    if (entry === undefined) return;
    if (!settle(entry, frame.kind, value, frame.end - frame.start, this.maxCollectedBytes)) {
      this.cancel(entry, tooMuchError(entry.method, this.maxCollectedBytes));
    }
  }

  /** Fails everything pending with ERR_IPC_CLOSED (the connection is gone). */
  failAll(cause: IpcError | undefined): void {
    this.deadlines?.clear();
    const pending = this.pending?.values() ?? [];
    this.pending?.clear();
    this.cancelled?.clear();
    for (const entry of pending) entry.settleError(closedError(entry.method, cause));
  }

  private expire(entry: Pending, timeout: number): void {
    this.cancel(entry, timeoutError(entry.method, timeout));
  }

  /** Ends a request locally and tells the peer to stop working on it. */
  private cancel(entry: Pending, error: IpcError | undefined): void {
    if (this.pending?.get(entry.id) !== entry) return;
    this.pending.delete(entry.id);
    this.cancelled ??= new Set();
    this.cancelled.add(entry.id);
    if (error !== undefined) entry.settleError(error);
    else entry.dispose();
    if (this.connection.writable) this.connection.message(Kind.CANCEL, entry.id, '', undefined);
    this.connection.checkIdle();
  }

  /**
   * The next free id. Ids count up from 1, so until they wrap around past
   * MAX_ID every one is new and none is looked up (a lookup per request is
   * not free); after that, ids still pending or cancelled are skipped.
   */
  private allocateId(): number {
    let id = this.nextId;
    if (this.wrapped) while (this.pending?.has(id) || this.cancelled?.has(id)) id = id >= MAX_ID ? 1 : id + 1;
    if (id >= MAX_ID) {
      this.nextId = 1;
      this.wrapped = true;
    } else {
      this.nextId = id + 1;
    }
    return id;
  }
}
