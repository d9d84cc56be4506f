import { EventEmitter } from './builtins.ts';
import { Connection, type RequestOptions } from './connection/connection.ts';
import { SocketReads, TCP_BODY_READ_BYTES } from './connection/reads.ts';
import { debug } from './debug.ts';
import { type EndpointInput, formatEndpoint, parseEndpoint } from './endpoint.ts';
import { ErrorCodes, IpcError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './framing/index.ts';
import { checkName, METHODS_METHOD, type MethodInfo, RESERVED_EVENT_NAMES } from './protocol/index.ts';

export type { MethodInfo } from './protocol/index.ts';

/** What a server says of itself in its hello (`client.server`). */
export interface ServerInfo {
  protocol: number;
  name: string | undefined;
  version: string | undefined;
  pid: number | undefined;
  maxFrameBytes: number;
}

import { clientTrust, dial } from './transport/index.ts';

/** The most bytes of a streamed result request() and call() collect, by default. */
export const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

export type { RequestOptions } from './connection/connection.ts';

export interface ConnectOptions {
  /** Default timeout of each request, in ms (a request may override it). @default 30000 */
  timeout?: number;
  /** Bounds connecting and the hello, in ms. @default 5000 */
  connectTimeout?: number;
  /** For an explicit tcp:// endpoint whose server asks for one (paths carry their own). */
  token?: string;
  /** Largest frame body accepted from the server. @default 64 MiB */
  maxFrameBytes?: number;
  /** Ping a silent server after this many ms; give up on it if it stays silent as long again. 0: off. @default 15000 */
  heartbeatInterval?: number;
  /**
   * The most bytes of a streamed result that `request()` collects before it
   * fails with ERR_IPC_FRAME_TOO_LARGE (`stream()` reads item by item instead).
   * @default 256 MiB
   */
  maxBufferedBytes?: number;
  /**
   * Owners to trust besides this user and root: the uid of a daemon run by a
   * service user, whose socket or descriptor the client would otherwise refuse
   * with ERR_IPC_UNTRUSTED.
   */
  trustUid?: number | readonly number[];
  /** Accept a TCP descriptor its group may read (a server shared with a group on purpose). @default false */
  allowSharedDescriptor?: boolean;
  /** Accept directories above the socket that group or others may write to. @default false */
  allowSharedDir?: boolean;
}

/**
 * A connection to a unixipc server. Create it with `connect()`. Server events
 * arrive as events of the same name; `close` (with the error, if any) is
 * emitted once when the connection ends.
 */
export class Client extends EventEmitter {
  /** Where it connected: 'unix:/path' or 'tcp://HOST:PORT'. */
  readonly endpoint: string;
  readonly transport: 'unix' | 'tcp';
  private readonly connection: Connection;

  /** @internal use connect() */
  constructor(connection: Connection, endpoint: string, transport: 'unix' | 'tcp') {
    super();
    this.connection = connection;
    this.endpoint = endpoint;
    this.transport = transport;
  }

  /**
   * Calls METHOD and resolves with its result. Fails with ERR_IPC_TIMEOUT,
   * ERR_IPC_ABORTED (both also cancel it on the server), ERR_IPC_REMOTE,
   * ERR_IPC_NO_METHOD or ERR_IPC_CLOSED.
   */
  request<T = any>(method: string, params?: unknown, options?: RequestOptions): Promise<T> {
    checkName('method', method);
    return this.connection.request(method, params, options) as Promise<T>;
  }

  /**
   * Calls a method whose handler returns an async iterable, and yields its
   * items as they arrive. Leaving the loop early cancels it on the server.
   * `timeout` applies between items.
   */
  async *stream<T = any>(
    method: string,
    params?: unknown,
    options?: RequestOptions,
  ): AsyncGenerator<T, void> {
    checkName('method', method);
    const reader = (await this.connection.request(method, params, options, true)) as AsyncIterable<T>;
    yield* reader;
  }

  /** One-way message to the server (no answer). Returns false while the socket is backed up. */
  notify(method: string, params?: unknown): boolean {
    checkName('method', method);
    return this.connection.notify(method, params);
  }

  /** Resolves when the client can write again without queueing (after notify returned false). */
  drained(): Promise<void> {
    return this.connection.waitDrain();
  }

  /** What the server said of itself in its hello: protocol, name, version, pid, maxFrameBytes. */
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

  /** The server's methods and which of them stream (the built-in `$methods`). */
  methods(options?: RequestOptions): Promise<MethodInfo[]> {
    return this.connection.request(METHODS_METHOD, undefined, options) as Promise<MethodInfo[]>;
  }

  /**
   * Sends a protocol PING and resolves with the round trip in milliseconds
   * (the server answers PINGs at once, ahead of any backlog of requests).
   * Fails with ERR_IPC_TIMEOUT after `timeout` ms (default: the client's
   * request timeout) or ERR_IPC_CLOSED.
   *
   * @example const ms = await client.ping();
   */
  async ping(options: { timeout?: number } = {}): Promise<number> {
    const started = performance.now();
    await this.connection.ping(options.timeout);
    return performance.now() - started;
  }

  get closed(): boolean {
    return this.connection.closed;
  }

  /** Requests still waiting for an answer. */
  get pendingCount(): number {
    return this.connection.pendingCount;
  }

  /** Graceful: waits for pending requests to settle, then closes. Idempotent. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** Hard stop: every pending request fails with ERR_IPC_CLOSED now. */
  destroy(): void {
    this.connection.destroy();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Connects to a unixipc server. A path may hold a socket (AF_UNIX) or the
 * descriptor of a TCP fallback server: the same call works for both.
 *
 * @example
 * await using client = await connect('/run/user/1000/app.sock', { timeout: 5_000 });
 * await client.request('upper', 'hello'); // 'HELLO'
 */
export async function connect(endpoint: EndpointInput, options: ConnectOptions = {}): Promise<Client> {
  const parsed = parseEndpoint(endpoint);
  const connectTimeout = options.connectTimeout ?? 5_000;
  const started = Date.now();
  const reads = new SocketReads();
  const dialed = await dial(parsed, connectTimeout, {
    token: options.token,
    onread: reads.onread,
    trust: clientTrust(options),
  });
  if (dialed.transport === 'tcp') reads.limitBodyReads(TCP_BODY_READ_BYTES);
  let client: Client | undefined;
  // Events that arrive with the hello reply (a server greeting from its 'connection' event) are
  // held until the caller has had its turn to add listeners after `await connect()`.
  let early: Array<[string, unknown]> | undefined = [];
  const connection = new Connection(dialed.socket, {
    role: 'client',
    transport: dialed.transport,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    requestTimeout: options.timeout ?? 30_000,
    maxInFlight: 1024,
    helloTimeout: 0,
    heartbeatInterval: options.heartbeatInterval ?? 15_000,
    maxQueuedBytes: Number.POSITIVE_INFINITY,
    maxCollectedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    token: dialed.token,
    // A hostile or buggy server must not fake the client's own events.
    onNotify: (name, data) => {
      if (RESERVED_EVENT_NAMES.has(name)) return;
      if (early) early.push([name, data]);
      else client?.emit(name, data);
    },
    onClose: (_connection, error) => client?.emit('close', error),
  });
  reads.attach(connection);
  const where = formatEndpoint(parsed);
  const remaining = Math.max(1, connectTimeout - (Date.now() - started));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.hello(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new IpcError(
                ErrorCodes.CONNECT,
                `cannot connect to ${where}: no hello within ${connectTimeout} ms`,
              ),
            ),
          remaining,
        );
      }),
    ]);
  } catch (error) {
    connection.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  debug('client: connected to %s over %s', where, dialed.transport);
  client = new Client(connection, where, dialed.transport);
  const created = client;
  setImmediate(() => {
    const held = early ?? [];
    early = undefined;
    for (const [name, data] of held) created.emit(name, data);
  });
  return client;
}
