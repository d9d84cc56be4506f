import type { IpcError } from '../errors.ts';
import type { AnyApi, AnyEvents, ApiOf, ArgsOf, ItemOf, MethodOf, ResultOf } from './contract.ts';

/** Who a client trusts with what it sends (see socket-paths.md, "Who a client trusts"). */
export interface TrustOptions {
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

export interface RequestOptions {
  /** ms before the request fails with ERR_IPC_TIMEOUT and is cancelled on the server. For stream(): between items. */
  timeout?: number;
  /** Aborting it fails the request with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
}

export interface ReconnectOptions {
  /** Attempts after a connection is lost before the client gives up and closes. @default Infinity */
  retries?: number;
  /** The first wait, in ms; each next one doubles, with jitter. @default 100 */
  minDelay?: number;
  /** The longest wait between attempts, in ms. @default 5000 */
  maxDelay?: number;
}

export interface ConnectOptions extends TrustOptions {
  /** Default timeout of each request, in ms (a request may override it; 0 or Infinity: none). @default 30000 */
  timeout?: number;
  /** Bounds connecting and the hello, in ms. @default 5000 */
  connectTimeout?: number;
  /**
   * Keep trying for up to this many ms while nothing listens yet (no socket
   * file, connection refused): for a client started with its server. @default 0
   */
  waitFor?: number;
  /**
   * Reconnect after the connection is lost (the server restarted): with
   * jittered exponential backoff; `disconnect` and `reconnect` events. Requests
   * made meanwhile wait for the new connection up to their timeout (or fail at
   * once with `failFast`); event listeners stay. Requests in flight when the
   * connection was lost fail with ERR_IPC_CLOSED: they may have run. @default false
   */
  reconnect?: boolean | ReconnectOptions;
  /** While reconnecting, fail requests at once with ERR_IPC_CLOSED instead of waiting. @default false */
  failFast?: boolean;
  /**
   * 'unix' insists on AF_UNIX: a path holding a TCP descriptor is refused
   * (ERR_IPC_CONNECT) instead of followed. @default 'auto'
   */
  transport?: 'auto' | 'unix';
  /** For an explicit tcp:// endpoint whose server asks for one (paths carry their own). */
  token?: string;
  /** Largest frame body accepted from the server. @default 64 MiB */
  maxFrameBytes?: number;
  /**
   * The most bytes of a streamed result that `request()` collects before it
   * fails with ERR_IPC_FRAME_TOO_LARGE (`stream()` reads item by item instead).
   * @default 256 MiB
   */
  maxBufferedBytes?: number;
  /** Ping a silent server after this many ms; give up on it if it stays silent as long again. 0: off. @default 15000 */
  heartbeatInterval?: number;
}

export interface CallOptions extends TrustOptions {
  /** ms the server has to answer, once it has accepted the hello. @default 30000 */
  timeout?: number;
  /** Bounds connecting and the server's hello, in ms. @default 5000 */
  connectTimeout?: number;
  /** Aborting it fails the call with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
  /** 'unix' insists on AF_UNIX (a TCP descriptor at the path is refused). @default 'auto' */
  transport?: 'auto' | 'unix';
  /** For an explicit tcp:// endpoint whose server asks for one (paths carry their own). */
  token?: string;
  /** Largest frame body accepted from the server. @default 64 MiB */
  maxFrameBytes?: number;
  /** The most bytes of a streamed result collected before the call fails. @default 256 MiB */
  maxBufferedBytes?: number;
}

/** What a server says of itself in its hello (`client.server`). */
export interface ServerInfo {
  protocol: number;
  name: string | undefined;
  version: string | undefined;
  pid: number | undefined;
  maxFrameBytes: number;
}

/** One entry of `client.methods()` (the built-in `$methods`). */
export interface MethodInfo {
  name: string;
  /** Its handler streams (an async generator function, or declared so). */
  stream: boolean;
}

/** The client's own events: a server cannot send events by these names. */
type OwnEvent = 'close' | 'disconnect' | 'reconnect' | 'error';

/** What every client has, whatever its contract. */
export interface ClientBase<E extends object = AnyEvents> {
  /** Where it is connected: 'unix:/path' or 'tcp://HOST:PORT'. */
  readonly endpoint: string;
  readonly transport: 'unix' | 'tcp';
  /** What the server said of itself in its last hello. */
  readonly server: ServerInfo;
  /** Closed for good (closed, destroyed, or given up reconnecting). */
  readonly closed: boolean;
  /** Connected now (false while reconnecting). */
  readonly connected: boolean;
  /** Requests still waiting for an answer. */
  readonly pendingCount: number;
  /** The server's events named EVENT, as an async iterable (until `signal` aborts or the client closes). */
  events<K extends keyof E & string>(
    event: K,
    options?: { signal?: AbortSignal },
  ): AsyncIterableIterator<E[K]>;
  /** The server's methods and which of them stream (the built-in `$methods`). */
  methods(options?: RequestOptions): Promise<MethodInfo[]>;
  /**
   * Sends a protocol PING and resolves with the round trip in milliseconds (a
   * server answers PINGs at once, ahead of any backlog of requests). Fails with
   * ERR_IPC_TIMEOUT after `timeout` ms (default: the client's request timeout)
   * or ERR_IPC_CLOSED.
   */
  ping(options?: { timeout?: number }): Promise<number>;
  /** Resolves when the client can write again without queueing (after notify returned false). */
  drained(): Promise<void>;
  /** Graceful: waits for pending requests to settle, then closes. Idempotent. */
  close(): Promise<void>;
  /** Hard stop: every pending request fails with ERR_IPC_CLOSED now. */
  destroy(): void;
  [Symbol.asyncDispose](): Promise<void>;
  /** The client is done for good, with why if it failed. */
  on(event: 'close', listener: (error: IpcError | undefined) => void): this;
  /** The connection was lost and the client reconnects (`reconnect` option). */
  on(event: 'disconnect', listener: (error: IpcError | undefined) => void): this;
  /** Connected again, after `attempt` tries. */
  on(event: 'reconnect', listener: (info: { endpoint: string; attempt: number }) => void): this;
  /** A server event (not one of the client's own names above). */
  on<K extends keyof E & string>(event: K, listener: K extends OwnEvent ? never : (data: E[K]) => void): this;
  once(event: 'close', listener: (error: IpcError | undefined) => void): this;
  once(event: 'disconnect', listener: (error: IpcError | undefined) => void): this;
  once(event: 'reconnect', listener: (info: { endpoint: string; attempt: number }) => void): this;
  once<K extends keyof E & string>(
    event: K,
    listener: K extends OwnEvent ? never : (data: E[K]) => void,
  ): this;
  off(event: string, listener: (...args: any[]) => void): this;
  removeListener(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  listenerCount(event: string): number;
}

/**
 * A client of a service with a contract (`connect<Api, Events>()`): a wrong
 * method name, wrong params or a wrong use of a result fails to compile.
 */
export interface TypedClient<A extends ApiOf<A>, E extends object = AnyEvents> extends ClientBase<E> {
  /**
   * Calls METHOD and resolves with its result (a stream's items collected).
   * Fails with ERR_IPC_TIMEOUT, ERR_IPC_ABORTED (both also cancel it on the
   * server), ERR_IPC_REMOTE (the handler threw: its message, `remoteCode` and
   * `data`), ERR_IPC_BAD_PARAMS, ERR_IPC_NO_METHOD or ERR_IPC_CLOSED.
   */
  request<M extends MethodOf<A>>(method: M, ...args: ArgsOf<A[M], RequestOptions>): Promise<ResultOf<A[M]>>;
  /**
   * Calls a method whose handler streams, and yields its items as they arrive.
   * Leaving the loop early cancels it on the server. A `timeout` given here is
   * the longest wait between items; without one, only the stream's start is timed.
   */
  stream<M extends MethodOf<A>>(
    method: M,
    ...args: ArgsOf<A[M], RequestOptions>
  ): AsyncGenerator<ItemOf<A[M]>, void>;
  /** One-way message to the server (no answer). Returns false while the socket is backed up. */
  notify<M extends MethodOf<A>>(method: M, ...args: ArgsOf<A[M], never>): boolean;
}

/** A client without a contract: any method; `request<T>()` says what it expects back. */
export interface UntypedClient<E extends object = AnyEvents> extends ClientBase<E> {
  /** Calls METHOD and resolves with its result (see TypedClient.request). */
  request<T = any>(method: string, params?: unknown, options?: RequestOptions): Promise<T>;
  /** Calls a method whose handler streams, and yields its items as they arrive. */
  stream<T = any>(method: string, params?: unknown, options?: RequestOptions): AsyncGenerator<T, void>;
  /** One-way message to the server (no answer). Returns false while the socket is backed up. */
  notify(method: string, params?: unknown): boolean;
}

/**
 * A connection to a server. Create it with `connect()` (or `connect<Api, Events>()`
 * for a typed contract); `instanceof Client` holds for one. Server events arrive
 * as events of their name; `close` (with the error, if any) comes once, when the
 * client is done for good.
 */
export type Client<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents> =
  string extends MethodOf<A> ? UntypedClient<E> : TypedClient<A, E>;
