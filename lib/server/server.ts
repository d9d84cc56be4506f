import { EventEmitter } from '../builtins.ts';
import { ServerBudget } from '../connection/budget.ts';
import { Connection, type ConnectionOptions } from '../connection/connection.ts';
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
  activationNames,
  inspectPath,
  type Listener,
  type ListenOptions,
  listen,
  PathWatchdog,
  removeOnSignals,
  type Socket,
  takeActivatedFd,
  trustedUids,
} from '../transport/index.ts';
import type { AnyApi, AnyEvents, ApiOf, StandardSchemaV1 } from '../types/contract.ts';
import type {
  Handler,
  RequestContext,
  ServeOptions,
  Server as ServerApi,
  ServerEvents,
} from '../types/server.ts';

/** The built-in method that asks a server to shut down (with allowShutdown). */
const SHUTDOWN_METHOD = '$shutdown';
/** How long a closing server lets streams end on their own (ctx.closing) before ending them. */
const STREAM_END_GRACE_MS = 500;

import { HelloQueue } from './hello-queue.ts';
import { announceReady } from './ready.ts';
import { validated } from './schemas.ts';

export type { Handler, Peer, RequestContext, ServeOptions, ServerEvents } from '../types/server.ts';

/**
 * The implementation behind the public `Server` type (types/server.ts).
 */
export class ServerImpl extends EventEmitter<ServerEvents> implements ServerApi {
  /** The socket or descriptor path, for path-style endpoints. */
  readonly path: string | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly streams = new Set<string>();
  /** Aborted when a graceful close begins: every handler's `ctx.closing`. */
  private readonly closingController = new AbortController();
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
    for (const [method, fn] of Object.entries(options.handlers ?? {})) {
      this.handle(method, fn as Handler, { params: options.schemas?.[method] });
    }
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
    const signals = options.handleSignals ?? 'auto';
    if (signals === true) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    } else if (signals === 'auto' && listener.path !== undefined) {
      removeOnSignals();
    }
  }

  /** 'unix:/path' or 'tcp://127.0.0.1:PORT' (the real port when 0 was asked). */
  get endpoint(): string {
    return this.listener.endpoint;
  }

  get transport(): 'unix' | 'tcp' {
    return this.listener.transport;
  }

  handle(method: string, fn: Handler, options: { stream?: boolean; params?: StandardSchemaV1 } = {}): this {
    checkName('method', method);
    if (method.startsWith('$'))
      throw new TypeError(`method names starting with "$" are reserved (${method})`);
    if (typeof fn !== 'function') throw new TypeError(`handler for "${method}" must be a function`);
    this.handlers.set(method, options.params === undefined ? fn : validated(method, options.params, fn));
    if (options.stream ?? isAsyncGenerator(fn)) this.streams.add(method);
    else this.streams.delete(method);
    return this;
  }

  /** The library's own methods: `$methods`, and `$shutdown` when allowed. */
  private builtin(method: string): Handler | undefined {
    if (method === METHODS_METHOD) return this.listMethods;
    if (method === SHUTDOWN_METHOD && this.options.allowShutdown) return this.shutdownMethod;
    return undefined;
  }

  private shutdownMethod = (_params: unknown, ctx: RequestContext): string => {
    debug('server %s: asked to shut down by connection %d', this.endpoint, ctx.peer.id);
    const exitAfter = this.listenerCount('shutdown') === 0;
    this.emit('shutdown', ctx.peer);
    // After this answer has left: close, then end the process unless the daemon said what to do.
    setImmediate(() => {
      void this.close().finally(() => {
        if (exitAfter) process.exit(0);
      });
    });
    return 'closing';
  };

  /** What `$methods` answers: every method, and whether it streams. */
  private listMethods = (): MethodInfo[] =>
    [...this.handlers.keys()].sort().map((name) => ({ name, stream: this.streams.has(name) }));

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

  get connectionCount(): number {
    return this.connections.size;
  }

  close(options: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(
      options.timeout ?? this.options.closeTimeout ?? SERVE_DEFAULTS.closeTimeout,
    );
    return this.closing;
  }

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
    // Handlers that run until told (a watch) are told, and get a short grace to
    // end their streams cleanly; streams still open after it end with CLOSED.
    this.closingController.abort(new IpcError(ErrorCodes.CLOSED, 'the server is closing'));
    const all = [...this.connections].map((connection) => connection.close());
    if (all.length === 0) return;
    const started = performance.now();
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(all),
      new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, Math.min(timeout, STREAM_END_GRACE_MS));
      }),
    ]);
    clearTimeout(graceTimer);
    for (const connection of this.connections) connection.endStreams();
    const remaining = Math.max(0, timeout - (performance.now() - started));
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
      }, remaining);
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
      closing: this.closingController.signal,
      // A large body is held as its bytes arrive, not allocated when its header announces it.
      preallocateBytes: 64 * 1024,
      lookup: (method) => this.handlers.get(method) ?? this.builtin(method),
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
 * same path), `unix:PATH`, `tcp://HOST:PORT`, `{ path }`, `{ name }`,
 * `{ host, port }`, or `{ fd }` (a socket handed over already listening). A
 * stale socket left by a dead server is reclaimed; a live server's socket, or
 * anything that is not a socket, is never touched. Started by systemd with a
 * socket (LISTEN_FDS), it serves on that one instead of binding.
 * `serve<Api, Events>()` checks the handlers and broadcasts against a contract.
 *
 * @example
 * await using server = await serve('/run/user/1000/app.sock', { handlers: { upper: (s: string) => s.toUpperCase() } });
 */
export async function serve<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents>(
  endpoint: EndpointInput,
  options: ServeOptions<A> = {},
): Promise<Server<A, E>> {
  checkServeOptions(options);
  let parsed = parseEndpoint(endpoint);
  const listenOptions: ListenOptions = {
    transport: options.transport ?? SERVE_DEFAULTS.transport,
    backlog: options.backlog,
    mode: options.mode,
    allowSharedDir: options.allowSharedDir,
    token: options.token,
    trustUid: options.trustUid,
  };
  if (parsed.kind !== 'fd') {
    const fd = takeActivatedFd(
      activationNames(parsed.kind === 'path' ? parsed.path : undefined, options.name),
    );
    if (fd !== undefined) {
      debug('serve: using the socket handed over at fd %d instead of binding %j', fd, endpoint);
      parsed = { kind: 'fd', fd };
    }
  }
  const listener = await listen(parsed, listenOptions);
  const server = new ServerImpl(listener, options as ServeOptions, listenOptions);
  if ((options.notifyReady ?? 'auto') === 'auto') announceReady(server.endpoint);
  return server as unknown as Server<A, E>;
}

/** A listening server (see types/server.ts); `instanceof Server` holds for one. */
export type Server<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents> = ServerApi<A, E>;

/** The class of what serve() returns: for `instanceof Server`. */
export const Server = ServerImpl as unknown as { readonly prototype: ServerApi };

function isAsyncGenerator(fn: Function): boolean {
  return (fn as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'AsyncGeneratorFunction';
}
