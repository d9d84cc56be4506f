import { EventEmitter } from '../builtins.ts';
import { abortedError, closedError, timeoutError } from '../connection/pending.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/messages.ts';
import type { NatsConnection, NatsModule, NatsMsg, NatsSubscription } from './api.ts';
import { dialNats, inboxPrefix, type NatsConnectionOptions } from './connection.ts';
import { parseNatsEndpoint } from './endpoint.ts';
import { StreamIn } from './stream-in.ts';
import { Subjects, tokenToName } from './subjects.ts';
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

export interface NatsConnectOptions extends NatsConnectionOptions {
  /** Default timeout of each request, in ms (a request may override it). @default 30000 */
  timeout?: number;
  /** Stream items the server may send ahead of what this client has consumed. @default 64 */
  streamWindow?: number;
}

export interface NatsRequestOptions {
  /** ms before the request fails with ERR_IPC_TIMEOUT and is cancelled on the server. */
  timeout?: number;
  /** Aborting it fails the request with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
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
 * A client of a service on NATS, with the interface of a socket-path client: `request`,
 * `stream`, `notify`, events with `on`, `close`. Create it with `connect()`.
 */
export class NatsClient extends EventEmitter {
  /** 'nats://HOST:PORT/SERVICE' (without credentials). */
  readonly endpoint: string;
  readonly transport = 'nats' as const;
  readonly service: string;
  private readonly subjects: Subjects;
  private readonly inbox: string;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions: NatsSubscription[];
  private readonly timeout: number;
  private readonly window: number;
  private nextId = 1;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  /** @internal use connect() */
  constructor(
    private readonly nats: NatsModule,
    private readonly nc: NatsConnection,
    private readonly owned: boolean,
    endpoint: string,
    service: string,
    options: NatsConnectOptions,
  ) {
    super();
    this.endpoint = endpoint;
    this.service = service;
    this.subjects = new Subjects(service);
    this.inbox = nats.createInbox(inboxPrefix(options));
    this.timeout = options.timeout ?? 30_000;
    const window = options.streamWindow ?? DEFAULT_WINDOW;
    if (!Number.isInteger(window) || window < 1 || window > 65_536) {
      throw new TypeError('streamWindow must be an integer from 1 to 65536');
    }
    this.window = window;
    const guard = (fn: (msg: NatsMsg) => void) => (error: Error | null, msg: NatsMsg) => {
      if (error) return;
      try {
        fn(msg);
      } catch (caught) {
        debug('nats client %s: message dropped: %s', this.endpoint, (caught as Error)?.message);
      }
    };
    this.subscriptions = [
      nc.subscribe(`${this.inbox}.>`, { callback: guard((msg) => this.onInbox(msg)) }),
      nc.subscribe(this.subjects.events, {
        callback: guard((msg) => this.onEvent(this.subjects.eventOf(msg.subject), msg)),
      }),
    ];
    void nc.closed().then((error) => {
      const reason = new IpcError(
        ErrorCodes.CLOSED,
        `the NATS connection of ${this.endpoint} closed${error ? `: ${error.message}` : ''}`,
        error ? { cause: error } : {},
      );
      this.shut(this.owned && this.closing !== undefined && !error ? undefined : reason);
    });
  }

  /**
   * Calls METHOD and resolves with its result (a streamed result as the array of its items).
   * Fails with ERR_IPC_TIMEOUT, ERR_IPC_ABORTED (both also cancel it on the server),
   * ERR_IPC_REMOTE, ERR_IPC_NO_METHOD (no such method, or no server for the service at all),
   * ERR_IPC_FRAME_TOO_LARGE (over the NATS max_payload) or ERR_IPC_CLOSED.
   */
  request<T = any>(method: string, params?: unknown, options?: NatsRequestOptions): Promise<T> {
    return this.start(method, params, options, false) as Promise<T>;
  }

  /**
   * Calls a method whose handler returns an async iterable, and yields its items as they
   * arrive, with flow control: the server stays at most `streamWindow` items ahead of this loop.
   * Leaving the loop early cancels it on the server. `timeout` applies between items.
   */
  async *stream<T = any>(
    method: string,
    params?: unknown,
    options?: NatsRequestOptions,
  ): AsyncGenerator<T, void> {
    const reader = (await this.start(method, params, options, true)) as AsyncIterable<T>;
    yield* reader;
  }

  /**
   * One-way message to the service (no answer; one instance of the queue group gets it).
   * Returns false once the client is closed.
   */
  notify(method: string, params?: unknown): boolean {
    const subject = this.subjects.request(method);
    if (this.state !== 'open') return false;
    const out = encodeValue(params);
    const headers = headersOf(this.nats, {
      [Header.ENC]: out.bytes ? 'bytes' : undefined,
      [Header.PEER]: this.inbox,
    });
    publish(this.nc, subject, out.payload, headers ? { headers } : {}, `notification "${method}"`);
    return true;
  }

  /** Resolves once everything sent so far has reached the NATS server. */
  async drained(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.flush();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Requests still waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Graceful: waits for pending requests to settle, then closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Hard stop: every pending request fails with ERR_IPC_CLOSED now (and is cancelled on the server). */
  destroy(): void {
    for (const entry of [...this.pending.values()]) this.cancel(entry, closedError(entry.method));
    void this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private start(method: string, params: unknown, options: NatsRequestOptions | undefined, stream: boolean) {
    const subject = this.subjects.request(method); // a bad name throws here, as on a socket path
    if (this.state !== 'open') {
      return Promise.reject(
        new IpcError(ErrorCodes.CLOSED, `cannot call "${method}": the client is ${this.state}`),
      );
    }
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

  /** Everything that arrives at this client's inbox: answers, stream items, events for it alone. */
  private onInbox(msg: NatsMsg): void {
    const tail = msg.subject.slice(this.inbox.length + 1);
    if (tail.startsWith('e.')) {
      this.onEvent(tokenToName(tail.slice(2)), msg);
      return;
    }
    const entry = this.pending.get(Number(tail));
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

  private onEvent(name: string | undefined, msg: NatsMsg): void {
    // A hostile or buggy server must not fake the client's own events.
    if (name === undefined || RESERVED_EVENT_NAMES.has(name)) return;
    this.emit(name, decodeValue(msg));
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

  private async shutdown(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    if (this.pending.size > 0 && !this.nc.isClosed()) {
      await new Promise<void>((resolve) => {
        this.idle = resolve;
      });
    }
    for (const subscription of this.subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {}
    }
    if (this.owned && !this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
    else if (!this.nc.isClosed()) await this.nc.flush().catch(() => {});
    this.shut(undefined);
  }

  /** The client is done: whatever is still pending fails, and 'close' is emitted once. */
  private shut(error: IpcError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const entry of [...this.pending.values()])
      this.cancel(entry, closedError(entry.method, error), false);
    this.idle?.();
    this.emit('close', error);
  }
}

/**
 * Connects to the service SERVICE on the NATS server at HOST:PORT. It resolves once the NATS
 * connection is up and its subscriptions are in place; whether any instance serves SERVICE shows
 * on the first request (ERR_IPC_NO_METHOD when none does), as NATS decouples the two.
 *
 * @example
 * await using client = await connect('nats://127.0.0.1:4222/greeter', { timeout: 5_000 });
 * await client.request('upper', 'hello'); // 'HELLO'
 */
export async function connect(endpoint: string, options: NatsConnectOptions = {}): Promise<NatsClient> {
  const parsed = parseNatsEndpoint(endpoint);
  const { nats, nc, owned } = await dialNats(parsed, options, `unixipc client ${parsed.service}`);
  let client: NatsClient;
  try {
    client = new NatsClient(nats, nc, owned, parsed.display, parsed.service, options);
    await nc.flush();
  } catch (cause) {
    if (owned) await nc.close().catch(() => {});
    if (cause instanceof TypeError) throw cause;
    throw new IpcError(ErrorCodes.CONNECT, `the NATS server for ${parsed.display} did not confirm`, {
      cause,
    });
  }
  debug('nats client: connected to %s', parsed.display);
  return client;
}
