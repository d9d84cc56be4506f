import { debug } from '../debug.ts';
import { abortedError, closedError, ErrorCodes, IpcError, timeoutError } from '../errors.ts';
import type { NatsConnection, NatsModule, NatsMsg } from './api.ts';
import { StreamIn } from './stream-in.ts';
import type { Subjects } from './subjects.ts';
import {
  DEFAULT_WINDOW,
  decodeError,
  decodeValue,
  encodeValue,
  Header,
  headersOf,
  Kinds,
  publish,
} from './wire.ts';

export interface NatsRequestOptions {
  /** ms before the request fails with ERR_IPC_TIMEOUT and is cancelled on the server. */
  timeout?: number;
  /** Aborting it fails the request with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
}

/** What a client's requests need from it. */
export interface OutgoingHost {
  readonly nats: NatsModule;
  readonly nc: NatsConnection;
  readonly endpoint: string;
  readonly service: string;
  readonly subjects: Subjects;
  /** The client's inbox: the answer to request ID comes to INBOX.ID. */
  readonly inbox: string;
  /** Default timeout of a request, in ms. */
  readonly timeout: number;
  /** Stream items the server may send ahead of what the caller consumed. */
  readonly window: number;
}

/** One request waiting for its answer (or its stream's items). */
class Pending {
  timer: NodeJS.Timeout | undefined = undefined;
  keepalive: NodeJS.Timeout | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
  onAbort: (() => void) | undefined = undefined;
  sink: StreamIn | undefined = undefined;
  items: unknown[] | undefined = undefined;
  /** The last stream item's number: the next must be one more. */
  seq = 0;
  /** Where credit for this stream goes (the reply subject of its items). */
  control: string | undefined = undefined;

  constructor(
    readonly id: number,
    readonly method: string,
    readonly reply: string,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: IpcError) => void,
  ) {}

  dispose(): void {
    clearTimeout(this.timer);
    clearInterval(this.keepalive);
    if (this.onAbort !== undefined) this.signal?.removeEventListener('abort', this.onAbort);
    this.onAbort = undefined;
    this.signal = undefined;
  }
}

/**
 * The requests a client sent: ids, timeouts, cancellation (a cancel message to the service),
 * matching each answer to its caller, and the credit that paces a stream.
 */
export class Outgoing {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: (() => void) | undefined;
  private readonly inbox: string;
  private readonly window: number;
  private readonly timeout: number;
  private readonly nats: NatsModule;
  private readonly nc: NatsConnection;
  private readonly subjects: Subjects;
  private readonly service: string;
  private readonly endpoint: string;

  constructor(host: OutgoingHost) {
    this.inbox = host.inbox;
    this.window = host.window;
    this.timeout = host.timeout;
    this.nats = host.nats;
    this.nc = host.nc;
    this.subjects = host.subjects;
    this.service = host.service;
    this.endpoint = host.endpoint;
  }

  /** Requests still waiting for an answer. */
  get size(): number {
    return this.pending.size;
  }

  /** Resolves once no request is pending. */
  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  /** Fails every pending request with ERR_IPC_CLOSED; TELLSERVER: cancel each on the service too. */
  failAll(cause: IpcError | undefined, tellServer: boolean): void {
    for (const entry of [...this.pending.values()]) {
      this.cancel(entry, closedError(entry.method, cause), tellServer);
    }
    this.idle?.();
  }

  /** Sends a request; resolves with its result, or (STREAM) at once with the reader of its items. */
  start(
    method: string,
    params: unknown,
    options: NatsRequestOptions | undefined,
    stream: boolean,
  ): Promise<unknown> {
    const subject = this.subjects.request(method); // a bad name throws here, as on a socket path
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(abortedError(method, signal.reason, false));
    const id = this.nextId++;
    const reply = `${this.inbox}.${id}`;
    try {
      const out = encodeValue(params);
      const headers = headersOf(this.nats, {
        [Header.ENC]: out.bytes ? 'bytes' : undefined,
        [Header.WINDOW]: stream && this.window !== DEFAULT_WINDOW ? String(this.window) : undefined,
      });
      publish(
        this.nc,
        subject,
        out.payload,
        headers ? { reply, headers } : { reply },
        `params of "${method}"`,
      );
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<unknown>((resolve, reject) => {
      const entry = new Pending(id, method, reply, resolve, reject);
      this.pending.set(id, entry);
      const timeout = options?.timeout ?? this.timeout;
      if (timeout > 0 && Number.isFinite(timeout)) {
        entry.timer = setTimeout(() => this.cancel(entry, timeoutError(method, timeout)), timeout);
      }
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () => this.cancel(entry, abortedError(method, signal.reason, true));
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      if (stream) {
        entry.sink = new StreamIn(
          this.window,
          (consumed) => this.credit(entry, consumed),
          () => this.cancel(entry, undefined),
          () => entry.timer?.refresh(),
        );
        resolve(entry.sink);
      }
    });
  }

  /** An answer, stream item or status for request ID (INBOX.ID). */
  onAnswer(id: number, msg: NatsMsg): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return; // the late answer of a request that timed out or was cancelled
    const headers = msg.headers;
    if (headers?.hasError) {
      // A status from the NATS server itself: 503 when no instance of the service subscribes.
      this.cancel(
        entry,
        headers.code === 503
          ? new IpcError(
              ErrorCodes.NO_METHOD,
              `no server answers "${entry.method}" on service "${this.service}" (NATS: no responders)`,
            )
          : new IpcError(ErrorCodes.CLOSED, `NATS status ${headers.code} for "${entry.method}"`),
        false,
      );
      return;
    }
    const kind = headers?.get(Header.KIND) ?? '';
    if (kind === '') {
      this.settle(entry, () => decodeValue(msg));
    } else if (kind === Kinds.ERROR) {
      this.settle(entry, () => {
        throw decodeError(msg);
      });
    } else if (kind === Kinds.ITEM) {
      this.onItem(entry, msg);
    } else if (kind === Kinds.END) {
      this.finish(entry);
      if (entry.sink) entry.sink.end();
      else entry.resolve(entry.items ?? []);
    }
  }

  private onItem(entry: Pending, msg: NatsMsg): void {
    const seq = Number(msg.headers?.get(Header.SEQ));
    if (seq !== entry.seq + 1) {
      // NATS delivers at most once: a gap is an item lost on the way, and the stream is broken.
      this.cancel(
        entry,
        new IpcError(
          ErrorCodes.CLOSED,
          `stream "${entry.method}" lost item ${entry.seq + 1} (got ${seq}): NATS delivers at most once`,
        ),
      );
      return;
    }
    entry.seq = seq;
    if (msg.reply) entry.control = msg.reply;
    const keepalive = Number(msg.headers?.get(Header.KEEPALIVE));
    if (seq === 1 && keepalive > 0) {
      entry.keepalive = setInterval(
        () => this.credit(entry, entry.sink ? entry.sink.consumedCount : entry.seq),
        keepalive,
      );
      entry.keepalive.unref();
    }
    let value: unknown;
    try {
      value = decodeValue(msg);
    } catch (error) {
      this.cancel(entry, error as IpcError);
      return;
    }
    entry.timer?.refresh();
    if (entry.sink) {
      entry.sink.item(value);
      return;
    }
    // request() collects the items, so it consumes each as it arrives.
    entry.items ??= [];
    entry.items.push(value);
    if (seq % Math.max(1, this.window >> 1) === 0) this.credit(entry, seq);
  }

  private credit(entry: Pending, consumed: number): void {
    if (entry.control === undefined || this.nc.isClosed()) return;
    try {
      this.nc.publish(entry.control, Buffer.from(String(consumed), 'latin1'));
    } catch (error) {
      debug('nats client %s: credit not sent: %s', this.endpoint, (error as Error)?.message);
    }
  }

  /** Settles ENTRY with what VALUE returns, or the error it throws. */
  private settle(entry: Pending, value: () => unknown): void {
    this.finish(entry);
    let result: unknown;
    try {
      result = value();
    } catch (error) {
      const failure =
        error instanceof IpcError
          ? error
          : new IpcError(ErrorCodes.BAD_FRAME, String(error), { cause: error });
      if (entry.sink) entry.sink.fail(failure);
      else entry.reject(failure);
      return;
    }
    if (entry.sink) {
      // A stream() caller that got a single value sees a one-item stream.
      entry.sink.item(result);
      entry.sink.end();
    } else {
      entry.resolve(result);
    }
  }

  /** Ends a request here and, unless the server already gave up on it, tells the service to stop. */
  private cancel(entry: Pending, error: IpcError | undefined, tellServer = true): void {
    if (this.pending.get(entry.id) !== entry) return;
    this.finish(entry);
    if (error !== undefined) {
      if (entry.sink) entry.sink.fail(error);
      else entry.reject(error);
    }
    if (tellServer && !this.nc.isClosed()) {
      try {
        this.nc.publish(this.subjects.cancel, Buffer.from(entry.reply, 'utf8'));
      } catch (caught) {
        debug('nats client %s: cancel not sent: %s', this.endpoint, (caught as Error)?.message);
      }
    }
  }

  private finish(entry: Pending): void {
    entry.dispose();
    this.pending.delete(entry.id);
    if (this.idle !== undefined && this.pending.size === 0) this.idle();
  }
}
