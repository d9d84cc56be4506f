import { EventEmitter } from 'node:events';
import { Connection, type Handler } from './connection/connection.ts';
import type { Peer } from './connection/context.ts';
import { debug } from './debug.ts';
import { type EndpointInput, parseEndpoint } from './endpoint.ts';
import { ErrorCodes, IpcError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, MAX_META_BYTES } from './framing/index.ts';
import { encodeMessage, Kind, tokenMatches } from './protocol/index.ts';
import { type Listener, listen } from './transport/index.ts';

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
}

export interface ServerEvents {
  connection: [peer: Peer];
  disconnect: [peer: Peer, error: IpcError | undefined];
}

const RESERVED_EVENTS = new Set(['close', 'error', 'newListener', 'removeListener']);

function checkName(kind: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > MAX_META_BYTES) {
    throw new TypeError(`${kind} name must be a non-empty string of at most ${MAX_META_BYTES} bytes`);
  }
}

/**
 * A listening unixipc server. Create it with `serve()`.
 *
 * @example
 * await using server = await serve('/run/user/1000/app.sock', { handlers: { upper: (s) => s.toUpperCase() } });
 */
export class Server extends EventEmitter<ServerEvents> {
  /** 'unix:/path' or 'tcp://127.0.0.1:PORT' (the real port when 0 was asked). */
  readonly endpoint: string;
  readonly transport: 'unix' | 'tcp';
  /** The socket or descriptor path, for path-style endpoints. */
  readonly path: string | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly connections = new Set<Connection>();
  private readonly listener: Listener;
  private readonly options: ServeOptions;
  private closing: Promise<void> | undefined;

  /** @internal use serve() */
  constructor(listener: Listener, options: ServeOptions) {
    super();
    this.listener = listener;
    this.options = options;
    this.endpoint = listener.endpoint;
    this.transport = listener.transport;
    this.path = listener.path;
    for (const [method, fn] of Object.entries(options.handlers ?? {})) this.handle(method, fn);
    listener.onConnection((socket) => this.accept(socket));
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
    if (RESERVED_EVENTS.has(event)) throw new TypeError(`"${event}" is reserved and cannot be broadcast`);
    const frame = encodeMessage(Kind.NOTIFY, 0, event, data);
    let sent = 0;
    for (const connection of this.connections) {
      if (connection.sendEncoded(frame) || !connection.closed) sent++;
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

  private async shutdown(timeout: number): Promise<void> {
    debug('server %s: closing', this.endpoint);
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

  private accept(socket: import('./transport/index.ts').Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const token = this.listener.token;
    const connection: Connection = new Connection(socket, {
      role: 'server',
      transport: this.transport,
      maxFrameBytes: this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      requestTimeout: 0,
      maxInFlight: this.options.maxInFlight ?? 1024,
      handshakeTimeout: this.options.handshakeTimeout ?? 10_000,
      lookup: (method) => this.handlers.get(method),
      authorize: token === undefined ? undefined : (given) => tokenMatches(token, given),
      onClose: (error) => {
        this.connections.delete(connection);
        this.emit('disconnect', connection, error);
      },
    });
    this.connections.add(connection);
    debug('server %s: connection %d accepted', this.endpoint, connection.id);
    this.emit('connection', connection);
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
  const listener = await listen(parsed, {
    transport: options.transport ?? 'auto',
    backlog: options.backlog,
    mode: options.mode,
    allowSharedDir: options.allowSharedDir,
    token: options.token,
  });
  return new Server(listener, options);
}
