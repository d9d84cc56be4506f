import { EventEmitter } from './builtins.ts';
import { Connection, type ConnectionOptions, type Handler } from './connection/connection.ts';
import type { Peer } from './connection/context.ts';
import { debug } from './debug.ts';
import { type EndpointInput, parseEndpoint } from './endpoint.ts';
import { ErrorCodes, IpcError, isIpcError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './framing/index.ts';
import {
  checkName,
  encodeMessage,
  Kind,
  RESERVED_EVENT_NAMES,
  tokenMatches,
  toWireError,
} from './protocol/index.ts';
import { type Listener, type ListenOptions, listen, type Socket } from './transport/index.ts';
import { type PathLostAction, PathWatchdog } from './watchdog.ts';

export type { Handler } from './connection/connection.ts';
export type { Peer, RequestContext } from './connection/context.ts';

export interface ServeOptions {
  /** Methods by name; more can be added with `server.handle()`. */
  handlers?: Record<string, Handler>;
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
  /** A connection that sends no hello within this many ms is dropped. @default 10000 */
  handshakeTimeout?: number;
  /** How long `close()` lets in-flight requests finish before dropping them. @default 10000 */
  closeTimeout?: number;
  /** Connections served at once; more are told why and closed. @default 8192 */
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
  private readonly connections = new Set<Connection>();
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
    for (const [method, fn] of Object.entries(options.handlers ?? {})) this.handle(method, fn);
    listener.onConnection((socket) => this.accept(socket));
    const watchInterval = options.watchInterval ?? 1_000;
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
      this.close().finally(() => process.exit(0));
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

  /** Adds or replaces the handler for METHOD. Handlers get `(params, ctx)`; sync or async. */
  handle(method: string, fn: Handler): this {
    checkName('method', method);
    if (typeof fn !== 'function') throw new TypeError(`handler for "${method}" must be a function`);
    this.handlers.set(method, fn);
    return this;
  }

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
    this.closing ??= this.shutdown(options.timeout ?? this.options.closeTimeout ?? 10_000);
    return this.closing;
  }

  /** Hard stop: drops every connection now (their pending requests fail with ERR_IPC_CLOSED). */
  destroy(error?: IpcError): Promise<void> {
    for (const connection of this.connections) connection.destroy(error);
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
      // Someone else took the path meanwhile (ADDR_IN_USE, OCCUPIED): never fight them.
      this.watchdog?.stop();
      if (
        isIpcError(error) &&
        (error.code === 'ERR_IPC_ADDR_IN_USE' || error.code === 'ERR_IPC_PATH_OCCUPIED')
      ) {
        this.emit('superseded', { path, kind: error.code === 'ERR_IPC_ADDR_IN_USE' ? 'server' : 'file' });
      } else if (this.listenerCount('error') > 0) {
        this.emit('error', error as Error);
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
    const options: ConnectionOptions = {
      role: 'server',
      transport: listener.transport,
      maxFrameBytes: this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      requestTimeout: 0,
      maxInFlight: this.options.maxInFlight ?? 1024,
      handshakeTimeout: this.options.handshakeTimeout ?? 10_000,
      heartbeatInterval: this.options.heartbeatInterval ?? 15_000,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 256 * 1024 * 1024,
      lookup: (method) => this.handlers.get(method),
      authorize: token === undefined ? undefined : (given) => tokenMatches(token, given),
      onOpen: (connection) => this.emit('connection', connection),
      onClose: (connection, error) => {
        this.connections.delete(connection);
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
    const maxConnections = this.options.maxConnections ?? 8_192;
    if (this.connections.size >= maxConnections) {
      debug('server %s: maxConnections (%d) reached, refusing a connection', this.endpoint, maxConnections);
      const refusal = new IpcError(ErrorCodes.CLOSED, `the server is at maxConnections (${maxConnections})`);
      socket.on('error', () => {});
      socket.end(encodeMessage(Kind.ERROR, 0, '', toWireError(refusal)) as Buffer);
      return;
    }
    const connection = new Connection(socket, this.connectionOptions());
    this.connections.add(connection);
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
  const parsed = parseEndpoint(endpoint);
  const listenOptions: ListenOptions = {
    transport: options.transport ?? 'auto',
    backlog: options.backlog,
    mode: options.mode,
    allowSharedDir: options.allowSharedDir,
    token: options.token,
  };
  const listener = await listen(parsed, listenOptions);
  return new Server(listener, options, listenOptions);
}
