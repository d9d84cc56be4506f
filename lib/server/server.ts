import { EventEmitter } from '../builtins.ts';
import { ServerBudget } from '../connection/budget.ts';
import { Connection, type ConnectionOptions, type Handler } from '../connection/connection.ts';
import type { Peer } from '../connection/context.ts';
import { debug } from '../debug.ts';
import { type EndpointInput, parseEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { checkServeOptions, SERVE_DEFAULTS } from '../options.ts';
import {
  checkName,
  encodeMessage,
  Kind,
  METHODS_METHOD,
  type MethodInfo,
  RESERVED_EVENT_NAMES,
  tokenMatches,
  toWireError,
} from '../protocol/index.ts';
import {
  inspectPath,
  type Listener,
  type ListenOptions,
  listen,
  type PathLostAction,
  PathWatchdog,
  type Socket,
  trustedUids,
} from '../transport/index.ts';
import { HelloQueue } from './hello-queue.ts';

export type { Handler } from '../connection/connection.ts';
export type { Peer, RequestContext } from '../connection/context.ts';

export interface ServeOptions {
  /** Methods by name; more can be added with `server.handle()`. */
  handlers?: Record<string, Handler>;
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
  /** Allow a parent directory that other users can write to. @default false */
  allowSharedDir?: boolean;
  /** For an explicit tcp:// endpoint: clients must present this token. */
  token?: string;
  /** Largest frame body accepted. @default 64 MiB */
  maxFrameBytes?: number;
  /** Requests handled at once per connection before the server stops reading from it. @default 1024 */
  maxInFlight?: number;
  /**
   * A connection that sends no hello within this many ms is dropped: until its
   * hello a peer is unknown (over TCP, any local user could have opened it). @default 2000
   */
  helloTimeout?: number;
  /** @deprecated the old name of `helloTimeout`. */
  handshakeTimeout?: number;
  /**
   * Connections that have not said hello yet, held at once; they do not count
   * toward `maxConnections`. Past it, over the TCP fallback on Linux, those
   * opened by another user are dropped, then the oldest waiting one. @default 4096
   */
  maxPendingHellos?: number;
  /** Handlers (requests and notifications) running at once over all connections; past it, work waits. @default 16384 */
  maxHandlers?: number;
  /**
   * Input bytes (partial frames, frames waiting for a handler) held at once over
   * all connections; past it, connections stop reading until some is handled. @default 128 MiB
   */
  maxBufferedBytes?: number;
  /**
   * Output bytes waiting for peers that do not read, over all connections; past
   * it, the peer with the most waiting is dropped. @default 512 MiB
   */
  maxQueuedBytesTotal?: number;
  /** Owners trusted besides this user and root, for the socket's directory chain. */
  trustUid?: number | readonly number[];
  /** How long `close()` lets in-flight requests finish before dropping them. @default 10000 */
  closeTimeout?: number;
  /** Connections served at once (past their hello); more are told why and closed. @default 8192 */
  maxConnections?: number;
  /** Ping a silent client after this many ms; drop it if it stays silent as long again. 0: off. @default 15000 */
  heartbeatInterval?: number;
  /** Drop a client when more than this many bytes wait to be written to it (it is not reading). @default 256 MiB */
  maxQueuedBytes?: number;
  /**
   * On SIGINT/SIGTERM: close gracefully (stop accepting, finish in-flight requests
   * within `closeTimeout`, remove the socket file), then exit with code 0. @default false
   */
  handleSignals?: boolean;
  /**
   * How often to check that the socket file is still ours (0: never). If it has been
   * removed, the server re-binds it ('rebind', the default) or shuts down ('fatal').
   * If another socket or file took its place, it stands down and emits 'superseded'.
   * @default 1000
   */
  watchInterval?: number;
  /** @default 'rebind' */
  pathLost?: PathLostAction;
}

export interface ServerEvents {
  connection: [peer: Peer];
  disconnect: [peer: Peer, error: IpcError | undefined];
  /** The socket file had been removed; the server created it again (new endpoint for TCP). */
  rebound: [info: { path: string; endpoint: string }];
  /** Something else now occupies the path; the server keeps its connections but no longer owns the path. */
  superseded: [info: { path: string; kind: string }];
  /** The socket file was removed and `pathLost: 'fatal'`: the server is closing. */
  pathLost: [info: { path: string }];
  /** A background failure (a failed re-bind). */
  error: [error: Error];
}

/**
 * A listening unixipc server. Create it with `serve()`.
 *
 * @example
 * await using server = await serve('/run/user/1000/app.sock', { handlers: { upper: (s) => s.toUpperCase() } });
 */
export class Server extends EventEmitter<ServerEvents> {
  /** The socket or descriptor path, for path-style endpoints. */
  readonly path: string | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly streams = new Set<string>();
  /** Connections past their hello. */
  private readonly connections = new Set<Connection>();
  /** Connections waiting for their hello. */
  private readonly pending: HelloQueue;
  private readonly budget: ServerBudget;
  private listener: Listener;
  private readonly options: ServeOptions;
  private readonly listenOptions: ListenOptions;
  private closing: Promise<void> | undefined;
  private watchdog: PathWatchdog | undefined;
  private readonly onSignal: (signal: NodeJS.Signals) => void;
  private sharedOptions: { listener: Listener; options: ConnectionOptions } | undefined;

  /** @internal use serve() */
  constructor(listener: Listener, options: ServeOptions, listenOptions: ListenOptions) {
    super();
    this.listener = listener;
    this.options = options;
    this.listenOptions = listenOptions;
    this.path = listener.path;
    this.budget = new ServerBudget({
      maxHandlers: options.maxHandlers ?? SERVE_DEFAULTS.maxHandlers,
      maxBufferedBytes: options.maxBufferedBytes ?? SERVE_DEFAULTS.maxBufferedBytes,
      maxQueuedBytesTotal: options.maxQueuedBytesTotal ?? SERVE_DEFAULTS.maxQueuedBytesTotal,
    });
    this.pending = new HelloQueue(
      options.maxPendingHellos ?? SERVE_DEFAULTS.maxPendingHellos,
      trustedUids(options.trustUid),
      () => this.listener.transport === 'tcp',
    );
    for (const [method, fn] of Object.entries(options.handlers ?? {})) this.handle(method, fn);
    listener.onConnection((socket) => this.accept(socket));
    const watchInterval = options.watchInterval ?? SERVE_DEFAULTS.watchInterval;
    if (listener.path !== undefined && watchInterval > 0) {
      const path = listener.path;
      this.watchdog = new PathWatchdog(path, watchInterval, {
        current: () => this.listener,
        lost: () => this.pathLost(path),
        superseded: (kind) => this.emit('superseded', { path, kind }),
      });
    }
    this.onSignal = (signal) => {
      debug('server %s: %s received, closing', this.endpoint, signal);
      this.close().then(
        () => process.exit(0),
        (error) => {
          process.stderr.write(
            `unixipc: closing on ${signal} failed: ${(error as Error)?.message ?? error}\n`,
          );
          process.exit(1);
        },
      );
    };
    if (options.handleSignals) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
  }

  /** 'unix:/path' or 'tcp://127.0.0.1:PORT' (the real port when 0 was asked). */
  get endpoint(): string {
    return this.listener.endpoint;
  }

  get transport(): 'unix' | 'tcp' {
    return this.listener.transport;
  }

  /**
   * Adds or replaces the handler for METHOD. Handlers get `(params, ctx)`; sync
   * or async; one returning an async iterable streams its items. `stream` says
   * so in `$methods` for a handler that is not an async generator function.
   */
  handle(method: string, fn: Handler, options: { stream?: boolean } = {}): this {
    checkName('method', method);
    if (method.startsWith('$'))
      throw new TypeError(`method names starting with "$" are reserved (${method})`);
    if (typeof fn !== 'function') throw new TypeError(`handler for "${method}" must be a function`);
    this.handlers.set(method, fn);
    if (options.stream ?? isAsyncGenerator(fn)) this.streams.add(method);
    else this.streams.delete(method);
    return this;
  }

  /** What `$methods` answers: every method, and whether it streams. */
  private listMethods = (): MethodInfo[] =>
    [...this.handlers.keys()].sort().map((name) => ({ name, stream: this.streams.has(name) }));

  /** Sends an event to every connected client; returns how many it was written to. */
  broadcast(event: string, data?: unknown): number {
    checkName('event', event);
    if (RESERVED_EVENT_NAMES.has(event))
      throw new TypeError(`"${event}" is reserved and cannot be broadcast`);
    const frame = encodeMessage(Kind.NOTIFY, 0, event, data);
    let sent = 0;
    for (const connection of this.connections) {
      if (connection.sendEncoded(frame)) sent++;
    }
    return sent;
  }

  /** Number of connected clients. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Graceful: stops accepting, removes its own socket file, lets in-flight
   * requests finish (up to `timeout` ms, then drops them), closes every
   * connection. Idempotent.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(
      options.timeout ?? this.options.closeTimeout ?? SERVE_DEFAULTS.closeTimeout,
    );
    return this.closing;
  }

  /** Hard stop: drops every connection now (their pending requests fail with ERR_IPC_CLOSED). */
  destroy(error?: IpcError): Promise<void> {
    for (const connection of this.connections) connection.destroy(error);
    for (const connection of this.pending.keys()) connection.destroy(error);
    return this.close({ timeout: 0 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async pathLost(path: string): Promise<void> {
    if (this.closing) return;
    if ((this.options.pathLost ?? 'rebind') === 'fatal') {
      debug('server %s: socket file removed; pathLost is fatal, closing', this.endpoint);
      this.emit('pathLost', { path });
      await this.close();
      return;
    }
    let next: Listener;
    try {
      next = await listen({ kind: 'path', path }, this.listenOptions);
    } catch (error) {
      // Another server or file took the path meanwhile: never fight it. Anything else (the lock
      // held too long, a full disk, a directory now unsafe) is said, and the next check tries again.
      const now = await inspectPath(path).catch(() => undefined);
      if (now !== undefined && now.state !== 'absent') {
        this.watchdog?.stop();
        this.emit('superseded', { path, kind: now.state === 'occupied' ? now.kind : 'server' });
      } else if (this.listenerCount('error') > 0) {
        this.emit('error', error as Error);
      } else {
        debug(
          'server %s: re-binding %s failed (%s); will try again',
          this.endpoint,
          path,
          (error as Error).message,
        );
      }
      return;
    }
    if (this.closing) {
      await next.close();
      return;
    }
    const previous = this.listener;
    this.listener = next;
    next.onConnection((socket) => this.accept(socket));
    await previous.close(); // its file is gone: this only stops the unreachable listener
    debug('server %s: re-bound %s', next.endpoint, path);
    this.emit('rebound', { path, endpoint: next.endpoint });
  }

  private async shutdown(timeout: number): Promise<void> {
    debug('server %s: closing', this.endpoint);
    this.watchdog?.stop();
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    await this.listener.close();
    for (const connection of this.pending.keys()) connection.destroy();
    const all = [...this.connections].map((connection) => connection.close());
    if (all.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        debug(
          'server %s: close deadline reached, dropping %d connections',
          this.endpoint,
          this.connections.size,
        );
        for (const connection of this.connections) {
          connection.destroy(
            new IpcError(ErrorCodes.CLOSED, 'the server closed before the request finished'),
          );
        }
        resolve();
      }, timeout);
    });
    await Promise.race([Promise.all(all), deadline]);
    clearTimeout(timer);
    await Promise.all(all);
  }

  /** One options object for all connections of the current listener (its token). */
  private connectionOptions(): ConnectionOptions {
    const listener = this.listener;
    if (this.sharedOptions?.listener === listener) return this.sharedOptions.options;
    const token = listener.token;
    const maxConnections = this.options.maxConnections ?? SERVE_DEFAULTS.maxConnections;
    const options: ConnectionOptions = {
      role: 'server',
      transport: listener.transport,
      maxFrameBytes: this.options.maxFrameBytes ?? SERVE_DEFAULTS.maxFrameBytes,
      requestTimeout: 0,
      maxInFlight: this.options.maxInFlight ?? SERVE_DEFAULTS.maxInFlight,
      helloTimeout: this.options.helloTimeout ?? this.options.handshakeTimeout ?? SERVE_DEFAULTS.helloTimeout,
      heartbeatInterval: this.options.heartbeatInterval ?? SERVE_DEFAULTS.heartbeatInterval,
      maxQueuedBytes: this.options.maxQueuedBytes ?? SERVE_DEFAULTS.maxQueuedBytes,
      budget: this.budget,
      // A large body is held as its bytes arrive, not allocated when its header announces it.
      preallocateBytes: 64 * 1024,
      lookup: (method) =>
        this.handlers.get(method) ?? (method === METHODS_METHOD ? this.listMethods : undefined),
      identity: { name: this.options.name, version: this.options.version, pid: process.pid },
      authorize: token === undefined ? undefined : (given) => tokenMatches(token, given),
      admit: () =>
        this.connections.size >= maxConnections
          ? new IpcError(ErrorCodes.CLOSED, `the server is at maxConnections (${maxConnections})`)
          : undefined,
      onOpen: (connection) => {
        this.pending.delete(connection);
        this.connections.add(connection);
        this.emit('connection', connection);
      },
      onClose: (connection, error) => {
        // Also for a peer that never got past its hello: why it was turned away is worth a log line.
        if (!this.pending.delete(connection)) this.connections.delete(connection);
        this.emit('disconnect', connection, error);
      },
    };
    this.sharedOptions = { listener, options };
    return options;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const maxConnections = this.options.maxConnections ?? SERVE_DEFAULTS.maxConnections;
    if (this.connections.size >= maxConnections) {
      debug('server %s: maxConnections (%d) reached, refusing a connection', this.endpoint, maxConnections);
      const refusal = new IpcError(ErrorCodes.CLOSED, `the server is at maxConnections (${maxConnections})`);
      socket.on('error', () => {});
      socket.end(encodeMessage(Kind.ERROR, 0, '', toWireError(refusal)) as Buffer);
      return;
    }
    const connection = new Connection(socket, this.connectionOptions());
    this.pending.add(connection, socket);
    debug('server %s: connection %d accepted', this.endpoint, connection.id);
  }
}

/**
 * Listens at ENDPOINT: a socket path (AF_UNIX first, TCP fallback behind the
 * same path), `unix:PATH`, `tcp://HOST:PORT`, `{ path }`, `{ name }` or
 * `{ host, port }`. A stale socket left by a dead server is reclaimed; a live
 * server's socket, or anything that is not a socket, is never touched.
 */
export async function serve(endpoint: EndpointInput, options: ServeOptions = {}): Promise<Server> {
  checkServeOptions(options);
  const parsed = parseEndpoint(endpoint);
  const listenOptions: ListenOptions = {
    transport: options.transport ?? SERVE_DEFAULTS.transport,
    backlog: options.backlog,
    mode: options.mode,
    allowSharedDir: options.allowSharedDir,
    token: options.token,
    trustUid: options.trustUid,
  };
  const listener = await listen(parsed, listenOptions);
  return new Server(listener, options, listenOptions);
}

function isAsyncGenerator(fn: Function): boolean {
  return (fn as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncGeneratorFunction';
}
