import { debug } from '../debug.ts';
import { badFrame, ErrorCodes, IpcError } from '../errors.ts';
import { type Frame, FrameDecoder } from '../framing/index.ts';
import {
  asIpcError,
  clientHello,
  decodeValue,
  type Encoded,
  explainForeign,
  fromWireError,
  HELLO_MAX_BYTES,
  helloFailure,
  KIND_NAMES,
  Kind,
  RESERVED_EVENT_NAMES,
  type ServerHello,
  toWireError,
} from '../protocol/index.ts';
import type { OutputHolder, ServerBudget } from './budget.ts';
import type { Peer } from './context.ts';
import { acceptHello, type HelloPolicy, serverAnswer } from './handshake.ts';
import { Heartbeat, type HeartbeatHooks } from './heartbeat.ts';
import { type Handler, Incoming } from './incoming.ts';
import { Outgoing, type RequestOptions } from './outgoing.ts';
import { ReadGate, ReadPause } from './read-gate.ts';
import type { SocketLike } from './socket-like.ts';
import { FrameWriter, type WriterHost } from './writer.ts';

export type { Handler } from './incoming.ts';
export type { RequestOptions } from './outgoing.ts';
export { ReadPause } from './read-gate.ts';

export interface ConnectionOptions extends HelloPolicy {
  role: 'client' | 'server';
  /** 'unix' or 'tcp', for messages and `ctx.peer.transport`. */
  transport: string;
  /** Default timeout of outgoing requests, in ms (0 or Infinity: none). */
  requestTimeout: number;
  /** Incoming requests handled at once before this side stops reading. */
  maxInFlight: number;
  /** Drop the peer if its hello has not arrived within this many ms (server role). */
  helloTimeout: number;
  /** Server role: what all of the server's connections together may hold. */
  budget?: ServerBudget | undefined;
  /** Server role: `ctx.closing`, aborted when the server begins a graceful close. */
  closing?: AbortSignal | undefined;
  /** Bodies split across reads and larger than this are kept as the pieces that arrive (see FrameDecoder). */
  preallocateBytes?: number | undefined;
  /**
   * Send a PING after this many ms without hearing from the peer; drop the
   * connection if the next interval passes in silence too (half-open or stuck
   * peers). 0 disables it.
   */
  heartbeatInterval: number;
  /** Drop the connection when more than this many bytes wait to be written to a peer that does not read. */
  maxQueuedBytes: number;
  /** The most bytes of stream items a plain request() collects before it fails. @default Infinity */
  maxCollectedBytes?: number | undefined;
  /** Finds the handler for an incoming request or notification. */
  lookup?: (method: string) => Handler | undefined;
  /** Called for notifications with no handler (events, on the client side). */
  onNotify?: (name: string, data: unknown) => void;
  /** Client role: the token to present in the hello. */
  token?: string | undefined;
  /** Called once the hello exchange has succeeded. */
  onOpen?: (connection: Connection) => void;
  onClose?: (connection: Connection, error: IpcError | undefined) => void;
}

const ERROR_FLUSH_MS = 1_000;
/** A server stops reading a connection once this much of its answers waits to be written. */
const READ_PAUSE_BACKLOG_BYTES = 1024 * 1024;
let nextPeerId = 1;

/**
 * One peer: the hello, frames in and out, liveness and close. Symmetric: the
 * same code serves the client and the server side; only the hello differs by
 * role. Requests live in `Outgoing` (ours) and `Incoming` (theirs); writing in
 * `FrameWriter`, whether to read in `ReadGate`, the hello's rules in handshake.ts.
 *
 * `Peer` is its public face (what a handler's `ctx.peer` can do); WriterHost,
 * HeartbeatHooks and OutputHolder are what the writer, the heartbeat and the
 * server's output budget call back (methods rather than closures: an idle
 * connection stays small). Options are shared by all of a server's connections.
 */
export class Connection implements Peer, WriterHost, HeartbeatHooks, OutputHolder {
  readonly id = nextPeerId++;
  readonly transport: string;
  /** Set when the connection has closed; the error that closed it, if any. */
  closeError: IpcError | undefined = undefined;
  serverHello: ServerHello | undefined = undefined;

  private readonly socket: SocketLike;
  private readonly options: ConnectionOptions;
  private readonly decoder: FrameDecoder;
  private readonly outgoing: Outgoing;
  private readonly incoming: Incoming;
  private state: 'hello' | 'open' | 'closing' | 'closed' = 'hello';
  private readonly writer: FrameWriter;
  private readonly gate: ReadGate;
  private helloTimer: NodeJS.Timeout | undefined;
  private helloResolve: (() => void) | undefined;
  private helloReject: ((error: IpcError) => void) | undefined;
  /** Made only if someone waits for the close: most connections never need it. */
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private idleWaiters: Array<() => void> = [];
  private heartbeat: Heartbeat | undefined;
  /** The peer's first bytes, until its hello: a peer that speaks another protocol is told so. */
  private firstBytes: Buffer | undefined;
  /** ping()s waiting for their PONG, by id (made on the first ping: most connections never ping). */
  private pings: Map<number, (error: IpcError | undefined) => void> | undefined;
  private lastPingId = 0;

  constructor(socket: SocketLike, options: ConnectionOptions) {
    this.socket = socket;
    this.options = options;
    this.transport = options.transport;
    this.gate = new ReadGate(socket, options.budget);
    this.outgoing = new Outgoing(this, options.requestTimeout, options.maxCollectedBytes);
    this.incoming = new Incoming(this, options);
    this.incoming.dispatch = (frame) => {
      try {
        this.dispatch(frame);
      } catch (error) {
        this.protocolError(asIpcError(error));
      }
    };
    this.writer = new FrameWriter(socket, options.maxQueuedBytes, this);
    this.decoder = new FrameDecoder((frame) => this.onFrame(frame), {
      preallocateBytes: options.preallocateBytes,
    });
    this.decoder.setLimit(Math.min(HELLO_MAX_BYTES, options.maxFrameBytes), 'the limit before the hello');
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (error) => {
      debug('connection %d (%s): socket error %s', this.id, this.transport, error.message);
      this.closeError ??= new IpcError(ErrorCodes.CLOSED, `socket error: ${error.message}`, { cause: error });
    });
    socket.on('close', () => this.teardown(this.closeError));
    // Closed before we got it (an error in the gap between connect and now): its 'close' has gone by.
    if (socket.destroyed) queueMicrotask(() => this.teardown(this.closeError));
    const helloTimeout = options.helloTimeout;
    if (options.role === 'server' && helloTimeout > 0 && Number.isFinite(helloTimeout)) {
      // Judged after the next poll, not in the timers phase: if the event loop was held up past the
      // deadline, a hello already in the socket is read first, and an honest client is not dropped.
      this.armHelloTimer(helloTimeout);
    }
  }

  /**
   * The deadline for a client's hello, judged after the next poll rather than
   * in the timers phase: if the event loop was held up past it, a hello
   * already in the socket is read first, and an honest client is not dropped.
   */
  private armHelloTimer(helloTimeout: number): void {
    this.helloTimer = setTimeout(() => {
      setImmediate(() => {
        if (this.state !== 'hello') return;
        this.protocolError(new IpcError(ErrorCodes.CLOSED, `no hello within ${helloTimeout} ms`));
      });
    }, helloTimeout);
    this.helloTimer.unref();
  }

  /** Client role: sends the hello and resolves once the server accepted it. */
  hello(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.helloResolve = resolve;
      this.helloReject = reject;
      this.writer.message(Kind.HELLO, 0, '', clientHello(this.options.token));
    });
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get writable(): boolean {
    return this.state === 'open' || this.state === 'closing';
  }

  get closing(): boolean {
    return this.state === 'closing';
  }

  /** Outgoing requests waiting for an answer. */
  get pendingCount(): number {
    return this.outgoing.size;
  }

  /** Resolves when the underlying socket has closed. */
  get whenClosed(): Promise<void> {
    if (this.state === 'closed' && this.resolveClosed === undefined) return Promise.resolve();
    this.closedPromise ??= new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    return this.closedPromise;
  }

  request(
    method: string,
    params: unknown,
    options: RequestOptions | undefined,
    stream = false,
  ): Promise<unknown> {
    if (this.state !== 'open') {
      return Promise.reject(
        new IpcError(ErrorCodes.CLOSED, `cannot call "${method}": the connection is ${this.state}`, {
          cause: this.closeError,
        }),
      );
    }
    return this.outgoing.start(method, params, options, stream, this.serverHello?.maxFrameBytes ?? 0);
  }

  /**
   * Sends a PING and resolves when its PONG comes back. Ids count from 1: the
   * heartbeat's PING is id 0, and PING ids never meet request ids (PROTOCOL.md 9).
   */
  ping(timeoutMs = this.options.requestTimeout): Promise<void> {
    if (this.state !== 'open') {
      return Promise.reject(
        new IpcError(ErrorCodes.CLOSED, `cannot ping: the connection is ${this.state}`, {
          cause: this.closeError,
        }),
      );
    }
    this.lastPingId = this.lastPingId >= 0x7fffffff ? 1 : this.lastPingId + 1;
    const id = this.lastPingId;
    this.pings ??= new Map();
    const pings = this.pings;
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0 && Number.isFinite(timeoutMs)
          ? setTimeout(
              () => settle(new IpcError(ErrorCodes.TIMEOUT, `no answer to a ping within ${timeoutMs} ms`)),
              timeoutMs,
            )
          : undefined;
      const settle = (error: IpcError | undefined) => {
        clearTimeout(timer);
        pings.delete(id);
        if (error) reject(error);
        else resolve();
      };
      pings.set(id, settle);
      this.writer.message(Kind.PING, id, '', undefined);
    });
  }

  /** One-way message; returns false while the socket is backed up. */
  notify(name: string, data?: unknown): boolean {
    if (this.options.role === 'server' && RESERVED_EVENT_NAMES.has(name)) {
      throw new TypeError(`"${name}" is reserved and cannot be sent as an event`);
    }
    if (!this.writable) return false;
    const max = this.serverHello?.maxFrameBytes ?? 0;
    if (this.writer.message(Kind.NOTIFY, 0, name, data, max) < 0) {
      // Sent, it would close the whole connection: refused here, alone.
      throw new IpcError(
        ErrorCodes.FRAME_TOO_LARGE,
        `notification "${name}" is over the server's maxFrameBytes (${max})`,
      );
    }
    return this.writer.ready;
  }

  /** Queues an already encoded frame (broadcast encodes once for every peer); false if not open. */
  sendEncoded(frame: Encoded): boolean {
    if (!this.writable) return false;
    this.send(frame);
    return !this.closed;
  }

  /** Resolves when the socket can take more (immediately if it can now). */
  waitDrain(): Promise<void> {
    return this.state === 'closed' ? Promise.resolve() : this.writer.waitDrain();
  }

  /**
   * Graceful close: no new requests either way; answers what is in flight and
   * waits for what we asked, then ends the socket. Resolves once it has closed.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return this.whenClosed;
    if (this.state === 'hello') {
      this.destroy();
      return this.whenClosed;
    }
    this.state = 'closing';
    this.whenIdle().then(() => {
      this.flush();
      this.socket.end();
    });
    return this.whenClosed;
  }

  /** The server is closing: streams still open end now (see Incoming.endStreams). */
  endStreams(): void {
    if (this.writable) this.incoming.endStreams();
  }

  /** Hard stop: every pending request on this side fails with ERR_IPC_CLOSED now. */
  destroy(error?: IpcError): void {
    if (this.state === 'closed') return;
    this.teardown(error);
    this.socket.destroy();
  }

  /** Writes whatever was batched in this tick now. */
  flush(): void {
    this.writer.flush();
  }

  batchTime(): number {
    return this.writer.batchTime();
  }

  send(frame: Encoded): boolean {
    return this.writer.send(frame);
  }

  message(kind: number, id: number, meta: string, value: unknown, maxBody = 0): number {
    return this.writer.message(kind, id, meta, value, maxBody);
  }

  get ready(): boolean {
    return this.writer.ready;
  }

  setReadPause(reason: ReadPause, on: boolean): void {
    this.gate.set(reason, on);
  }

  /** The bytes held back for handlers changed: the input budget counts them. */
  inputChanged(): void {
    if (this.options.budget !== undefined) this.gate.charge(this.decoder.buffered + this.incoming.heldBytes);
  }

  /** The hello is done: full-size frames from now on, and the heartbeat starts. */
  private opened(): void {
    this.state = 'open';
    this.firstBytes = undefined;
    this.decoder.setLimit(this.options.maxFrameBytes);
    this.startHeartbeat();
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatInterval;
    if (!(interval > 0) || !Number.isFinite(interval)) return;
    this.heartbeat = new Heartbeat(interval, this);
  }

  // ---- what the writer, the heartbeat and the output budget ask of it ----

  /** @internal */
  writeBackpressure(on: boolean, queuedBytes: number): void {
    // A server takes no new work while its answers are not being read: once a
    // backlog builds up, not at the first write the socket could not take whole
    // (every large answer is one), so it reads the next request while one drains.
    if (this.options.role !== 'server') return;
    this.options.budget?.setOutput(this, on ? queuedBytes : 0);
    if (!on) this.setReadPause(ReadPause.WriteBackpressure, false);
    else if (queuedBytes >= READ_PAUSE_BACKLOG_BYTES) this.setReadPause(ReadPause.WriteBackpressure, true);
  }

  /** @internal */
  writeOverflow(): void {
    this.destroy(
      new IpcError(
        ErrorCodes.CLOSED,
        `the peer is not reading: over ${this.options.maxQueuedBytes} bytes wait to be written to it`,
      ),
    );
  }

  /** @internal The server's output over all connections is over its budget, and this peer reads the slowest. */
  outputOverflow(limit: number): void {
    this.destroy(
      new IpcError(
        ErrorCodes.CLOSED,
        `the server's queued output for all peers is over maxQueuedBytesTotal (${limit}) and this peer reads the slowest`,
      ),
    );
  }

  /** @internal */
  heartbeatQueuedBytes(): number {
    return this.writer.queuedBytes;
  }

  /** @internal */
  heartbeatPausedByUs(): boolean {
    return this.gate.pausedByUs;
  }

  /** @internal */
  heartbeatPing(): void {
    this.writer.message(Kind.PING, 0, '', undefined);
  }

  /** @internal */
  heartbeatDead(): void {
    debug('connection %d (%s): no answer to a heartbeat, dropping it', this.id, this.transport);
    this.destroy(
      new IpcError(
        ErrorCodes.CLOSED,
        `the peer did not answer a heartbeat within ${this.options.heartbeatInterval} ms (half-open or stuck)`,
      ),
    );
  }

  // ---- reading ----

  /** Bytes from the socket (its 'data' events, or SocketReads). */
  onData(chunk: Buffer): void {
    this.received(chunk, 0);
  }

  /** Where the socket may read next to land in the body being assembled (SocketReads). */
  bodyRemainder(): Buffer | undefined {
    return this.state === 'closed' ? undefined : this.decoder.bodyRemainder();
  }

  /** `bytes` were read into the last bodyRemainder(). */
  bodyWritten(bytes: number): void {
    this.received(undefined, bytes);
  }

  /** A chunk to decode, or else `bytes` written into the body in place. */
  private received(chunk: Buffer | undefined, bytes: number): void {
    if (this.state === 'closed') return;
    this.heartbeat?.heard();
    if (this.state === 'hello' && this.firstBytes === undefined && chunk !== undefined) {
      this.firstBytes = Buffer.from(chunk.subarray(0, 32));
    }
    this.writer.beginRead();
    try {
      if (chunk !== undefined) this.decoder.push(chunk);
      else this.decoder.bodyWritten(bytes);
    } catch (error) {
      this.protocolError(asIpcError(error));
    } finally {
      this.writer.endRead();
    }
    this.inputChanged();
  }

  private onFrame(frame: Frame): void {
    if (this.state === 'closed') return;
    if (this.state === 'hello') this.onHelloFrame(frame);
    else if (!this.incoming.hold(frame)) this.dispatch(frame);
  }

  private dispatch(frame: Frame): void {
    switch (frame.kind) {
      case Kind.REQUEST:
        this.incoming.onRequest(frame);
        return;
      case Kind.NOTIFY:
        this.incoming.onNotify(frame);
        return;
      case Kind.CANCEL:
        this.incoming.onCancel(frame.id);
        return;
      case Kind.RESPONSE:
      case Kind.STREAM_ITEM:
      case Kind.STREAM_END:
        this.outgoing.answer(frame);
        return;
      case Kind.ERROR: {
        if (frame.id !== 0) {
          this.outgoing.answer(frame);
          return;
        }
        // The peer is closing the whole connection and says why.
        const error = fromWireError(decodeValue(frame));
        debug('connection %d: peer closed it: %s %s', this.id, error.code, error.message);
        this.destroy(error);
        return;
      }
      case Kind.PING:
        this.writer.message(Kind.PONG, frame.id, '', undefined);
        return;
      case Kind.PONG:
        // Id 0 answers the heartbeat's PING (any frame already counts as life); a PONG matching nothing is ignored.
        if (frame.id !== 0) this.pings?.get(frame.id)?.(undefined);
        return;
      default:
        throw badFrame(`unexpected frame kind ${KIND_NAMES[frame.kind] ?? frame.kind}`);
    }
  }

  private onHelloFrame(frame: Frame): void {
    if (this.options.role === 'client') {
      const answer = serverAnswer(frame);
      if (answer instanceof IpcError) {
        this.destroy(answer); // refused: nothing to say back
        return;
      }
      this.serverHello = answer;
      this.opened();
      this.helloResolve?.();
      return;
    }
    const reply = acceptHello(frame, this.options);
    clearTimeout(this.helloTimer);
    // Cleared, it would still be kept alive by this field for the connection's lifetime.
    this.helloTimer = undefined;
    this.opened();
    this.writer.message(Kind.HELLO, 0, '', reply);
    this.options.onOpen?.(this);
  }

  // ---- closing ----

  checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private isIdle(): boolean {
    return this.outgoing.size === 0 && this.incoming.size === 0;
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The peer broke the protocol: tell it why (best effort), close, fail what is pending. */
  private protocolError(error: IpcError): void {
    if (this.state === 'closed') return;
    if (this.state === 'hello') error = explainForeign(error, this.firstBytes);
    debug('connection %d (%s): protocol error %s: %s', this.id, this.transport, error.code, error.message);
    this.writer.message(Kind.ERROR, 0, '', toWireError(error));
    this.flush();
    this.teardown(error);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), ERROR_FLUSH_MS).unref();
  }

  private teardown(error: IpcError | undefined): void {
    if (this.state === 'closed') return;
    const wasHello = this.state === 'hello';
    this.state = 'closed';
    this.closeError = error;
    clearTimeout(this.helloTimer);
    this.heartbeat?.stop();
    debug(
      'connection %d (%s): closed%s',
      this.id,
      this.transport,
      error ? ` (${error.code}: ${error.message})` : '',
    );
    if (wasHello && this.helloReject) this.helloReject(helloFailure(error));
    this.outgoing.failAll(error);
    if (this.pings !== undefined) {
      const closed = new IpcError(ErrorCodes.CLOSED, 'the connection closed before the ping was answered', {
        cause: error,
      });
      for (const settle of [...this.pings.values()]) settle(closed);
    }
    this.incoming.abortAll(error);
    this.writer.drained();
    this.gate.close();
    this.options.budget?.setOutput(this, 0);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.resolveClosed?.();
    this.resolveClosed = undefined;
    this.options.onClose?.(this, error);
  }
}
