import type { IpcError } from '../errors.ts';
import type { AnyApi, AnyEvents, ApiOf, HandlerOf, MethodOf, NoInfer, StandardSchemaV1 } from './contract.ts';

/** What a handler can do with the connection its request came on. */
export interface Peer {
  /** A number unique within the server, for logs and per-peer state. */
  readonly id: number;
  /** 'unix' or 'tcp'. */
  readonly transport: string;
  /** Sends an event to this peer only. Returns false while its socket is backed up. */
  notify(event: string, data?: unknown): boolean;
}

/** The second argument of every handler. */
export interface RequestContext {
  /** The request id on this connection (0 for notifications). */
  readonly id: number;
  readonly method: string;
  /** Aborted when the caller cancels or times out, or the connection closes. */
  readonly signal: AbortSignal;
  /**
   * Aborted when the server begins a graceful close: a handler that streams
   * until told (a `watch`) ends its stream now: streams still open 500 ms
   * later end with ERR_IPC_CLOSED, so `close()` never waits out `closeTimeout`
   * behind a stream.
   */
  readonly closing: AbortSignal;
  /** The connection this request came on. */
  readonly peer: Peer;
}

/** A handler without a contract: any params, any result (an async iterable streams). */
export type Handler = (params: any, ctx: RequestContext) => unknown;

/** The handlers of contract A, by method name. */
export type Handlers<A> = { [M in MethodOf<A>]?: HandlerOf<A[M], RequestContext> };

export type PathLostAction = 'rebind' | 'fatal';

export interface ServeOptions<A extends ApiOf<A> = AnyApi> {
  /** Methods by name; more can be added with `server.handle()`. */
  handlers?: NoInfer<Handlers<A>>;
  /**
   * A Standard Schema (zod, valibot, arktype, ...) per method: params that do
   * not pass are answered with ERR_IPC_BAD_PARAMS, the schema's issues in
   * `error.data.issues`, and the handler gets the schema's output.
   */
  schemas?: NoInfer<{ [M in MethodOf<A>]?: StandardSchemaV1 }>;
  /** The service's name, told to clients in the hello (`client.server.name`, `unixipc ping`). */
  name?: string;
  /** The service's version, told to clients in the hello (`client.server.version`). */
  version?: string;
  /**
   * 'auto' uses AF_UNIX and falls back to TCP on 127.0.0.1 where AF_UNIX cannot
   * serve the path; 'unix' never falls back; 'tcp' always uses TCP and writes a
   * descriptor (port, token) at the path. @default 'auto'
   */
  transport?: 'auto' | 'unix' | 'tcp';
  /** Listen backlog (pending connections the kernel queues). @default Node's (511) */
  backlog?: number;
  /** Mode of the socket file (or descriptor). @default 0o600 */
  mode?: number;
  /** Accept directories on the socket's path that group or others may write to. @default false */
  allowSharedDir?: boolean;
  /** Owners trusted besides this user and root, for the socket's directory chain. */
  trustUid?: number | readonly number[];
  /** For an explicit tcp:// endpoint: clients must present this token. */
  token?: string;
  /** Largest frame body accepted. @default 64 MiB */
  maxFrameBytes?: number;
  /** Handlers (requests and notifications) running at once per connection; past it, its work waits. @default 1024 */
  maxInFlight?: number;
  /** Handlers running at once over all connections; past it, work waits. @default 16384 */
  maxHandlers?: number;
  /**
   * A connection that sends no hello within this many ms is dropped: until its
   * hello a peer is unknown (over TCP, any local user could have opened it). @default 2000
   */
  helloTimeout?: number;
  /** @deprecated the old name of `helloTimeout`. */
  handshakeTimeout?: number;
  /** Connections served at once (past their hello); more are told why and closed. @default 8192 */
  maxConnections?: number;
  /**
   * Connections that have not said hello yet, held at once, apart from
   * `maxConnections`. Past it, over the TCP fallback on Linux, those opened by
   * another user are dropped, then the oldest waiting one. @default 4096
   */
  maxPendingHellos?: number;
  /**
   * Input bytes (partial frames, frames waiting for a handler) held at once over
   * all connections; past it, connections stop reading until some is handled. @default 128 MiB
   */
  maxBufferedBytes?: number;
  /** Drop a client when more than this many bytes wait to be written to it (it is not reading). @default 256 MiB */
  maxQueuedBytes?: number;
  /** Output bytes waiting for peers that do not read, over all connections; past it, the slowest is dropped. @default 512 MiB */
  maxQueuedBytesTotal?: number;
  /** Ping a silent client after this many ms; drop it if it stays silent as long again. 0: off. @default 15000 */
  heartbeatInterval?: number;
  /** How long `close()` lets in-flight requests finish before dropping them. @default 10000 */
  closeTimeout?: number;
  /**
   * What SIGINT and SIGTERM do. `true`: close gracefully (finish in-flight
   * requests within `closeTimeout`, remove the socket file), then exit 0 (1 if
   * closing failed). `false`: nothing of ours; the process's own handlers, or
   * Node's default, decide. `'auto'` (the default): the socket file is removed
   * and the signal then does what it would have done (Node's default: exit),
   * unless the process has handlers of its own for it, which then decide.
   * @default 'auto'
   */
  handleSignals?: boolean | 'auto';
  /**
   * How often to check that the socket file is still ours (0: never). If it has been
   * removed, the server re-binds it ('rebind', the default) or shuts down ('fatal').
   * If another socket or file took its place, it stands down and emits 'superseded'.
   * @default 1000
   */
  watchInterval?: number;
  /** @default 'rebind' */
  pathLost?: PathLostAction;
  /**
   * Serve the built-in `$shutdown`: a client of the same user (connectOrSpawn
   * replacing a daemon of another version) may ask the server to close
   * gracefully. It emits 'shutdown' first; with no listener of yours for it,
   * the process then exits once the server has closed. @default false
   */
  allowShutdown?: boolean;
  /**
   * Tell whoever started this process that the server is ready: 'auto' sends
   * `READY=1` to `$NOTIFY_SOCKET` (systemd's sd_notify) when that is set, and
   * a `{ ready }` message on the IPC channel when the process was forked with
   * one (a parent's `fork()`). connectOrSpawn does not need either: it waits
   * by connecting. @default 'auto'
   */
  notifyReady?: 'auto' | false;
}

/** A server's events and what each listener gets. */
export interface ServerEvents {
  /** A client said hello. */
  connection: [peer: Peer];
  /** A connection ended (also one turned away during its hello), with why, if it failed. */
  disconnect: [peer: Peer, error: IpcError | undefined];
  /** The socket file had been removed; the server created it again (new endpoint for TCP). */
  rebound: [info: { path: string; endpoint: string }];
  /** Something else now occupies the path; the server keeps its connections but no longer owns the path. */
  superseded: [info: { path: string; kind: string }];
  /** The socket file was removed and `pathLost: 'fatal'`: the server is closing. */
  pathLost: [info: { path: string }];
  /** A background failure (a re-bind that failed and will be tried again). */
  error: [error: Error];
  /** A client asked the server to shut down (`$shutdown`, with `allowShutdown`); it is closing. */
  shutdown: [peer: Peer];
}

/**
 * A listening server. Create it with `serve()`; `instanceof Server` holds for
 * one (from any copy of the package).
 */
export interface Server<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents> {
  /** 'unix:/path' or 'tcp://127.0.0.1:PORT' (the real port when 0 was asked). */
  readonly endpoint: string;
  readonly transport: 'unix' | 'tcp';
  /** The socket or descriptor path, for path-style endpoints. */
  readonly path: string | undefined;
  /** Clients connected (past their hello). */
  readonly connectionCount: number;
  /**
   * Adds or replaces the handler for METHOD: `(params, ctx)`, sync or async;
   * one returning an async iterable streams its items. `stream` says so in
   * `$methods` for a handler that is not an async generator function; `params`
   * checks its params with a Standard Schema (as `schemas` in the options).
   */
  handle<M extends MethodOf<A>>(
    method: M,
    handler: HandlerOf<A[M], RequestContext>,
    options?: { stream?: boolean; params?: StandardSchemaV1 },
  ): this;
  /** Sends an event to every connected client; returns how many it was written to. */
  broadcast<K extends keyof E & string>(
    event: K,
    ...data: undefined extends E[K] ? [data?: E[K]] : [data: E[K]]
  ): number;
  /**
   * Graceful: stops accepting, removes its own socket file, aborts `ctx.closing`,
   * gives open streams 500 ms to end on their own (then ends them with
   * ERR_IPC_CLOSED), lets in-flight requests finish (up to `timeout` ms in all,
   * then drops them), closes every connection. Idempotent.
   */
  close(options?: { timeout?: number }): Promise<void>;
  /** Hard stop: drops every connection now (their pending requests fail with ERR_IPC_CLOSED). */
  destroy(error?: IpcError): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  on<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  once<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  off<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  removeListener<K extends keyof ServerEvents>(event: K, listener: (...args: ServerEvents[K]) => void): this;
  removeAllListeners(event?: keyof ServerEvents): this;
  listenerCount(event: keyof ServerEvents): number;
}
