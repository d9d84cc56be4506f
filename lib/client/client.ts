import { EventEmitter, sleep } from '../builtins.ts';
import type { Connection } from '../connection/connection.ts';
import { debug } from '../debug.ts';
import { type Endpoint, type EndpointInput, parseEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, isIpcError } from '../errors.ts';
import { checkConnectOptions, checkRequestOptions } from '../options.ts';
import { checkName, METHODS_METHOD } from '../protocol/index.ts';
import type {
  Client as ClientApi,
  ConnectOptions,
  MethodInfo,
  ReconnectOptions,
  RequestOptions,
  ServerInfo,
  UntypedClient,
} from '../types/client.ts';
import type { AnyApi, AnyEvents, ApiOf } from '../types/contract.ts';
import { type Opened, openConnection } from './open.ts';

export type { ConnectOptions, MethodInfo, RequestOptions, ServerInfo } from '../types/client.ts';

/** A connection to a server (see types/client.ts); `instanceof Client` holds for one. */
export type Client<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents> = ClientApi<A, E>;

/** Waiting for a new connection while reconnecting: a request made meanwhile. */
interface Waiter {
  resolve(connection: Connection): void;
  reject(error: IpcError): void;
}

const RECONNECT_DEFAULTS = { retries: Number.POSITIVE_INFINITY, minDelay: 100, maxDelay: 5_000 };

/**
 * The implementation behind the public `Client` type (types/client.ts). It
 * keeps the caller's event listeners across connections: a reconnect swaps
 * the connection underneath, nothing else.
 */
export class ClientImpl extends EventEmitter implements UntypedClient {
  endpoint: string;
  transport: 'unix' | 'tcp';
  private connection: Connection;
  private state: 'open' | 'reconnecting' | 'closed' = 'open';
  private waiters: Waiter[] = [];
  private readonly reconnect: Required<ReconnectOptions> | undefined;
  /** Set by close()/destroy(): the connection ends on our word, not the server's. */
  private ending = false;

  constructor(
    opened: Opened,
    private readonly target: Endpoint,
    private readonly options: ConnectOptions,
  ) {
    super();
    this.connection = opened.connection;
    this.endpoint = opened.endpoint;
    this.transport = opened.transport;
    this.reconnect =
      options.reconnect === true
        ? RECONNECT_DEFAULTS
        : options.reconnect
          ? { ...RECONNECT_DEFAULTS, ...options.reconnect }
          : undefined;
  }

  request(method: string, params?: unknown, options?: RequestOptions): Promise<any> {
    checkName('method', method);
    if (options !== undefined) {
      try {
        checkRequestOptions(options);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (this.state === 'open') return this.connection.request(method, params, options);
    return this.nextConnection(method, options).then((connection) =>
      connection.request(method, params, options),
    );
  }

  async *stream(method: string, params?: unknown, options?: RequestOptions): AsyncGenerator<any, void> {
    checkName('method', method);
    if (options !== undefined) checkRequestOptions(options);
    const connection =
      this.state === 'open' ? this.connection : await this.nextConnection(method, options, true);
    const reader = (await connection.request(method, params, options, true)) as AsyncIterable<unknown>;
    yield* reader;
  }

  notify(method: string, params?: unknown): boolean {
    checkName('method', method);
    return this.state === 'open' && this.connection.notify(method, params);
  }

  events(event: string, options: { signal?: AbortSignal } = {}): AsyncIterableIterator<any> {
    return eventStream(this, event, options.signal);
  }

  drained(): Promise<void> {
    return this.connection.waitDrain();
  }

  get server(): ServerInfo {
    const hello = this.connection.serverHello!;
    return {
      protocol: hello.protocol,
      name: hello.name,
      version: hello.version,
      pid: hello.pid,
      maxFrameBytes: hello.maxFrameBytes,
    };
  }

  methods(options?: RequestOptions): Promise<MethodInfo[]> {
    return this.request(METHODS_METHOD, undefined, options);
  }

  async ping(options: { timeout?: number } = {}): Promise<number> {
    const connection = this.state === 'open' ? this.connection : await this.nextConnection('ping', options);
    const started = performance.now();
    await connection.ping(options.timeout);
    return performance.now() - started;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get connected(): boolean {
    return this.state === 'open' && !this.connection.closed;
  }

  get pendingCount(): number {
    return this.connection.pendingCount + this.waiters.length;
  }

  close(): Promise<void> {
    this.ending = true;
    if (this.state === 'reconnecting') this.giveUp(undefined);
    return this.connection.close();
  }

  destroy(): void {
    this.ending = true;
    if (this.state === 'reconnecting') this.giveUp(undefined);
    this.connection.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal The connection ended: for good, or to be made again. */
  connectionClosed(connection: Connection, error: IpcError | undefined): void {
    if (connection !== this.connection || this.state !== 'open') return;
    if (this.ending || this.reconnect === undefined) {
      this.state = 'closed';
      this.emit('close', error);
      return;
    }
    this.state = 'reconnecting';
    debug('client %s: connection lost (%s); reconnecting', this.endpoint, error?.message ?? 'closed');
    this.emit('disconnect', error);
    void this.reconnectLoop(this.reconnect);
  }

  /** @internal A server event. */
  serverEvent(name: string, data: unknown): void {
    this.emit(name, data);
  }

  private async reconnectLoop(policy: Required<ReconnectOptions>): Promise<void> {
    let lastError: IpcError | undefined;
    for (let attempt = 1; attempt <= policy.retries; attempt++) {
      // Full jitter: a restarted daemon is not met by all its clients in the same millisecond.
      const ceiling = Math.min(policy.maxDelay, policy.minDelay * 2 ** Math.min(attempt - 1, 30));
      await sleep(ceiling / 2 + Math.random() * (ceiling / 2));
      if (this.state !== 'reconnecting') return;
      try {
        const opened = await openConnection(this.target, this.options, this.connectionEvents());
        if (this.state !== 'reconnecting') {
          opened.connection.destroy();
          return;
        }
        this.connection = opened.connection;
        this.endpoint = opened.endpoint;
        this.transport = opened.transport;
        this.state = 'open';
        debug('client %s: reconnected after %d attempts', this.endpoint, attempt);
        const waiters = this.waiters;
        this.waiters = [];
        for (const waiter of waiters) waiter.resolve(opened.connection);
        this.emit('reconnect', { endpoint: opened.endpoint, attempt });
        return;
      } catch (error) {
        lastError = isIpcError(error)
          ? error
          : new IpcError(ErrorCodes.CONNECT, String(error), { cause: error });
        // A server that refuses us (a wrong token, another protocol) will not change its mind.
        if (lastError.code === ErrorCodes.AUTH || lastError.code === ErrorCodes.VERSION) break;
        if (lastError.code === ErrorCodes.UNTRUSTED) break;
      }
    }
    this.giveUp(lastError);
  }

  private giveUp(error: IpcError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const failure = new IpcError(
      ErrorCodes.CLOSED,
      error
        ? `the connection was lost and could not be made again: ${error.message}`
        : 'the client was closed',
      error === undefined ? {} : { cause: error },
    );
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(failure);
    this.emit('close', error);
  }

  /**
   * While reconnecting: waits for the new connection, up to the request's
   * timeout (or fails at once). A stream waits untimed unless it was given a
   * timeout, as it runs untimed once open.
   */
  private nextConnection(
    method: string,
    options: RequestOptions | undefined,
    stream = false,
  ): Promise<Connection> {
    if (this.state === 'closed' || this.options.failFast) {
      return Promise.reject(
        new IpcError(
          ErrorCodes.CLOSED,
          `cannot call "${method}": the client is ${this.state === 'closed' ? 'closed' : 'reconnecting'}`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const timeout = options?.timeout ?? (stream ? 0 : (this.options.timeout ?? 30_000));
      let timer: NodeJS.Timeout | undefined;
      const signal = options?.signal;
      const waiter: Waiter = {
        resolve: (connection) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(connection);
        },
        reject: (error) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const leave = (error: IpcError) => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.reject(error);
      };
      const onAbort = () =>
        leave(
          new IpcError(ErrorCodes.ABORTED, `"${method}" was aborted before it was sent`, {
            cause: signal?.reason,
          }),
        );
      if (timeout > 0 && Number.isFinite(timeout)) {
        timer = setTimeout(
          () =>
            leave(
              new IpcError(
                ErrorCodes.TIMEOUT,
                `"${method}" timed out after ${timeout} ms waiting for the connection to come back`,
              ),
            ),
          timeout,
        );
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** @internal Where a connection of this client sends its events and its end. */
  connectionEvents(): {
    onEvent(name: string, data: unknown): void;
    onClose(c: Connection, e: IpcError | undefined): void;
  } {
    return {
      onEvent: (name, data) => this.serverEvent(name, data),
      onClose: (connection, error) => this.connectionClosed(connection, error),
    };
  }
}

/**
 * A server event as an async iterable: items queue until read (a watch loop
 * that falls behind keeps them); it ends when the signal aborts or the client
 * closes for good.
 */
function eventStream(
  client: ClientImpl,
  event: string,
  signal: AbortSignal | undefined,
): AsyncIterableIterator<any> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  let done = client.closed || signal?.aborted === true;
  const onEvent = (data: unknown) => {
    queue.push(data);
    wake?.();
  };
  const finish = () => {
    done = true;
    client.off(event, onEvent);
    client.off('close', finish);
    signal?.removeEventListener('abort', finish);
    wake?.();
  };
  if (!done) {
    client.on(event, onEvent);
    client.on('close', finish);
    signal?.addEventListener('abort', finish, { once: true });
  }
  return {
    async next(): Promise<IteratorResult<unknown>> {
      while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (queue.length > 0) return { value: queue.shift(), done: false };
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<unknown>> {
      finish();
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Errors that mean nothing listens at the path yet: worth waiting for with `waitFor`. */
function nothingListening(error: unknown): boolean {
  if (!isIpcError(error) || error.code !== ErrorCodes.CONNECT) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/**
 * Connects to a unixipc server. A path may hold a socket (AF_UNIX) or the
 * descriptor of a TCP fallback server: the same call works for both.
 * `connect<Api, Events>()` types requests and events by the service's contract.
 *
 * @example
 * await using client = await connect('/run/user/1000/app.sock', { timeout: 5_000 });
 * await client.request('upper', 'hello'); // 'HELLO'
 */
export async function connect<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents>(
  endpoint: EndpointInput,
  options: ConnectOptions = {},
): Promise<Client<A, E>> {
  return (await openClient(endpoint, options)) as unknown as Client<A, E>;
}

/** connect(), untyped: for the library's own loops (connectOrSpawn). */
export async function openClient(endpoint: EndpointInput, options: ConnectOptions = {}): Promise<ClientImpl> {
  checkConnectOptions(options);
  const target = parseEndpoint(endpoint);
  let client: ClientImpl | undefined;
  // Events that arrive with the hello reply (a server greeting from its 'connection' event) are
  // held until the caller has had its turn to add listeners after `await connect()`.
  let early: Array<[string, unknown]> | undefined = [];
  const events = {
    onEvent: (name: string, data: unknown) => {
      if (early) early.push([name, data]);
      else client?.serverEvent(name, data);
    },
    onClose: (connection: Connection, error: IpcError | undefined) =>
      client?.connectionClosed(connection, error),
  };
  const deadline = Date.now() + (options.waitFor ?? 0);
  let opened: Opened;
  for (let attempt = 0; ; attempt++) {
    try {
      opened = await openConnection(target, options, events);
      break;
    } catch (error) {
      if (!nothingListening(error) || Date.now() >= deadline) throw error;
      await sleep(Math.min(10 * 2 ** Math.min(attempt, 5), 250, Math.max(1, deadline - Date.now())));
    }
  }
  client = new ClientImpl(opened, target, options);
  const created = client;
  setImmediate(() => {
    const held = early ?? [];
    early = undefined;
    for (const [name, data] of held) created.serverEvent(name, data);
  });
  return client;
}

/** The class of what connect() returns: for `instanceof Client`. */
export const Client = ClientImpl as unknown as { readonly prototype: UntypedClient };
