import { EventEmitter } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/messages.ts';
import type { NatsConnection, NatsModule, NatsMsg, NatsSubscription } from './api.ts';
import { dialNats, inboxPrefix, type NatsConnectionOptions } from './connection.ts';
import { parseNatsEndpoint } from './endpoint.ts';
import { type NatsRequestOptions, Outgoing } from './outgoing.ts';
import { Subjects, tokenToName } from './subjects.ts';
import { DEFAULT_WINDOW, decodeValue, encodeValue, Header, headersOf, publish } from './wire.ts';

export type { NatsRequestOptions } from './outgoing.ts';

export interface NatsConnectOptions extends NatsConnectionOptions {
  /** Default timeout of each request, in ms (a request may override it). @default 30000 */
  timeout?: number;
  /** Stream items the server may send ahead of what this client has consumed. @default 64 */
  streamWindow?: number;
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
  private readonly outgoing: Outgoing;
  private readonly subscriptions: NatsSubscription[];
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closing: Promise<void> | undefined;

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
    const window = options.streamWindow ?? DEFAULT_WINDOW;
    if (!Number.isInteger(window) || window < 1 || window > 65_536) {
      throw new TypeError('streamWindow must be an integer from 1 to 65536');
    }
    this.outgoing = new Outgoing({
      nats,
      nc,
      endpoint,
      service,
      subjects: this.subjects,
      inbox: this.inbox,
      timeout: options.timeout ?? 30_000,
      window,
    });
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
    return this.outgoing.size;
  }

  /** Graceful: waits for pending requests to settle, then closes. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Hard stop: every pending request fails with ERR_IPC_CLOSED now (and is cancelled on the server). */
  destroy(): void {
    this.outgoing.failAll(undefined, true);
    void this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private start(method: string, params: unknown, options: NatsRequestOptions | undefined, stream: boolean) {
    if (this.state !== 'open') {
      this.subjects.request(method); // a bad name is a TypeError whatever the state, as on a socket path
      return Promise.reject(
        new IpcError(ErrorCodes.CLOSED, `cannot call "${method}": the client is ${this.state}`),
      );
    }
    return this.outgoing.start(method, params, options, stream);
  }

  /** Everything that arrives at this client's inbox: answers and stream items, events for it alone. */
  private onInbox(msg: NatsMsg): void {
    const tail = msg.subject.slice(this.inbox.length + 1);
    if (tail.startsWith('e.')) this.onEvent(tokenToName(tail.slice(2)), msg);
    else this.outgoing.onAnswer(Number(tail), msg);
  }

  private onEvent(name: string | undefined, msg: NatsMsg): void {
    // A hostile or buggy server must not fake the client's own events.
    if (name === undefined || RESERVED_EVENT_NAMES.has(name)) return;
    this.emit(name, decodeValue(msg));
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'open') this.state = 'closing';
    if (!this.nc.isClosed()) await this.outgoing.settled();
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
    this.outgoing.failAll(error, false);
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
