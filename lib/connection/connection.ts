import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { type Frame, FrameDecoder, HEADER_SIZE } from '../framing/index.ts';
import {
  badFrame,
  clientHello,
  decodeValue,
  type Encoded,
  encodeMessage,
  frameMeta,
  fromWireError,
  KIND_NAMES,
  Kind,
  PROTOCOL_VERSION,
  parseClientHello,
  parseServerHello,
  RESERVED_EVENT_NAMES,
  type ServerHello,
  toWireError,
} from '../protocol/index.ts';
import type { Channel } from './channel.ts';
import { IncomingCall, type Peer, type RequestContext } from './context.ts';
import { DeadlineQueue } from './deadlines.ts';
import { closedError, Pending } from './pending.ts';
import { StreamReader } from './stream-reader.ts';

export type Handler = (params: any, ctx: RequestContext) => unknown;

export interface ConnectionOptions {
  role: 'client' | 'server';
  /** 'unix' or 'tcp', for messages and `ctx.peer.transport`. */
  transport: string;
  maxFrameBytes: number;
  /** Default timeout of outgoing requests, in ms (0 or Infinity: none). */
  requestTimeout: number;
  /** Incoming requests handled at once before this side stops reading. */
  maxInFlight: number;
  /** Drop the peer if its hello has not arrived within this many ms (server role). */
  handshakeTimeout: number;
  /**
   * Send a PING after this many ms without hearing from the peer; drop the
   * connection if the next interval passes in silence too (half-open or stuck
   * peers). 0 disables it.
   */
  heartbeatInterval: number;
  /** Drop the connection when more than this many bytes wait to be written to a peer that does not read. */
  maxQueuedBytes: number;
  /** Finds the handler for an incoming request or notification. */
  lookup?: (method: string) => Handler | undefined;
  /** Called for notifications with no handler (events, on the client side). */
  onNotify?: (name: string, data: unknown) => void;
  /** Server role: decides whether a client's hello token is acceptable. */
  authorize?: (token: string | undefined) => boolean;
  /** Client role: the token to present in the hello. */
  token?: string;
  /** Called once the hello exchange has succeeded. */
  onOpen?: () => void;
  onClose?: (error: IpcError | undefined) => void;
}

export interface RequestOptions {
  /** ms before the request fails with ERR_IPC_TIMEOUT and is cancelled on the server. */
  timeout?: number;
  /** Aborting it fails the request with ERR_IPC_ABORTED and cancels it on the server. */
  signal?: AbortSignal;
}

enum ReadPause {
  InFlight = 1,
  WriteBackpressure = 2,
  SlowStreamReader = 4,
}

const STREAM_HIGH_WATER = 256;
const ERROR_FLUSH_MS = 1_000;
let nextPeerId = 1;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isStreamResult(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function uncork(connection: Connection): void {
  connection.flush();
}

/**
 * One peer: frames in and out, requests multiplexed by id, timeouts,
 * cancellation, backpressure and close. Symmetric: the same code serves the
 * client and the server side; only the hello differs by role.
 */
export class Connection implements Peer {
  readonly id = nextPeerId++;
  readonly transport: string;
  /** Set when the connection has closed; the error that closed it, if any. */
  closeError: IpcError | undefined = undefined;
  serverHello: ServerHello | undefined = undefined;

  private readonly channel: Channel;
  private readonly options: ConnectionOptions;
  private readonly decoder: FrameDecoder;
  private readonly pending = new Map<number, Pending>();
  /** Ids we cancelled whose final frame has not arrived yet: it is expected, not a protocol error. */
  private readonly cancelled = new Set<number>();
  private readonly incoming = new Map<number, IncomingCall>();
  private readonly deadlines = new DeadlineQueue<Pending>((entry) =>
    this.expire(entry, this.options.requestTimeout),
  );
  private nextRequestId = 1;
  private state: 'hello' | 'open' | 'closing' | 'closed' = 'hello';
  private corked = false;
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];
  private readPauses = 0;
  private helloTimer: NodeJS.Timeout | undefined;
  private helloResolve: (() => void) | undefined;
  private helloReject: ((error: IpcError) => void) | undefined;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private idleWaiters: Array<() => void> = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heard = false;
  private pinged = false;
  private lastQueued = 0;
  /** Frames read while maxInFlight requests were running: handled in order as those finish. */
  private backlog: Frame[] = [];
  private drainingBacklog = false;

  constructor(channel: Channel, options: ConnectionOptions) {
    this.channel = channel;
    this.options = options;
    this.transport = options.transport;
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.decoder = new FrameDecoder((frame) => this.onFrame(frame), { maxFrameBytes: options.maxFrameBytes });
    channel.on('data', (chunk) => this.onData(chunk));
    channel.on('drain', () => this.onDrain());
    channel.on('error', (error) => {
      debug('connection %d (%s): socket error %s', this.id, this.transport, error.message);
      this.closeError ??= new IpcError(ErrorCodes.CLOSED, `socket error: ${error.message}`, { cause: error });
    });
    channel.on('close', () => this.teardown(this.closeError));
    if (
      options.role === 'server' &&
      options.handshakeTimeout > 0 &&
      Number.isFinite(options.handshakeTimeout)
    ) {
      this.helloTimer = setTimeout(() => {
        this.protocolError(new IpcError(ErrorCodes.CLOSED, `no hello within ${options.handshakeTimeout} ms`));
      }, options.handshakeTimeout);
      this.helloTimer.unref?.();
    }
  }

  /** Client role: sends the hello and resolves once the server accepted it. */
  hello(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.helloResolve = resolve;
      this.helloReject = reject;
      this.send(encodeMessage(Kind.HELLO, 0, '', clientHello(this.options.token)));
    });
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Outgoing requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Incoming requests being handled. */
  get inFlightCount(): number {
    return this.incoming.size;
  }

  /** Resolves when the underlying socket has closed. */
  get whenClosed(): Promise<void> {
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
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new IpcError(ErrorCodes.ABORTED, `"${method}" was aborted before it was sent`, {
          cause: signal.reason,
        }),
      );
    }
    const id = this.allocateId();
    let frame: Encoded;
    try {
      frame = encodeMessage(Kind.REQUEST, id, method, params);
    } catch (error) {
      return Promise.reject(error);
    }
    // Over the peer's announced cap it would close the whole connection: fail just this call.
    const peerMax = this.serverHello?.maxFrameBytes ?? 0;
    const bodyBytes = Buffer.isBuffer(frame)
      ? frame.length - HEADER_SIZE
      : frame[0].length - HEADER_SIZE + frame[1].byteLength;
    if (peerMax > 0 && bodyBytes > peerMax) {
      return Promise.reject(
        new IpcError(
          ErrorCodes.FRAME_TOO_LARGE,
          `"${method}" request is ${bodyBytes} bytes, over the server's maxFrameBytes (${peerMax})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const entry = new Pending(id, method, resolve, reject);
      this.pending.set(id, entry);
      const timeout = options?.timeout ?? this.options.requestTimeout;
      if (timeout > 0 && Number.isFinite(timeout)) {
        if (timeout === this.options.requestTimeout && !stream) {
          entry.deadline = Date.now() + timeout;
          entry.queue = this.deadlines;
          this.deadlines.add(entry);
        } else {
          entry.timer = setTimeout(() => this.expire(entry, timeout), timeout);
        }
      }
      if (signal !== undefined) {
        entry.signal = signal;
        entry.onAbort = () =>
          this.cancel(
            entry,
            new IpcError(ErrorCodes.ABORTED, `"${method}" was aborted`, { cause: signal.reason }),
          );
        signal.addEventListener('abort', entry.onAbort, { once: true });
      }
      if (stream) {
        entry.sink = new StreamReader(
          STREAM_HIGH_WATER,
          (on) => this.setReadPause(ReadPause.SlowStreamReader, on),
          () => this.cancel(entry, undefined),
          // Between items the timeout is an idle timeout.
          () => entry.timer?.refresh(),
        );
        resolve(entry.sink);
      }
      this.send(frame);
    });
  }

  /** One-way message; returns false while the socket is backed up. */
  notify(name: string, data?: unknown): boolean {
    if (this.options.role === 'server' && RESERVED_EVENT_NAMES.has(name)) {
      throw new TypeError(`"${name}" is reserved and cannot be sent as an event`);
    }
    if (this.state !== 'open' && this.state !== 'closing') return false;
    return this.send(encodeMessage(Kind.NOTIFY, 0, name, data));
  }

  /** Queues an already encoded frame (broadcast encodes once for every peer); false if not open. */
  sendEncoded(frame: Encoded): boolean {
    if (this.state !== 'open' && this.state !== 'closing') return false;
    this.send(frame);
    return !this.closed;
  }

  /** Resolves when the socket can take more (immediately if it can now). */
  waitDrain(): Promise<void> {
    if (!this.needDrain || this.state === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Graceful close: no new requests either way; answers what is in flight and
   * waits for what we asked, then ends the socket. Resolves once it has closed.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return this.closedPromise;
    if (this.state === 'hello') {
      this.destroy();
      return this.closedPromise;
    }
    this.state = 'closing';
    this.whenIdle().then(() => {
      this.flush();
      this.channel.end();
    });
    return this.closedPromise;
  }

  /** Hard stop: every pending request on this side fails with ERR_IPC_CLOSED now. */
  destroy(error?: IpcError): void {
    if (this.state === 'closed') return;
    this.teardown(error);
    this.channel.destroy();
  }

  /** Writes whatever was batched in this tick (called on nextTick after the first write). */
  flush(): void {
    if (this.corked) {
      this.corked = false;
      this.channel.uncork();
    }
  }

  // ---- writing ----

  private send(frame: Encoded): boolean {
    if (this.channel.destroyed) return false;
    if (!this.corked) {
      // Batch every frame written in this tick into one syscall (writev).
      this.corked = true;
      this.channel.cork();
      process.nextTick(uncork, this);
    }
    let ok: boolean;
    if (Buffer.isBuffer(frame)) {
      ok = this.channel.write(frame);
    } else {
      const parts = frame as readonly [Buffer, Uint8Array];
      this.channel.write(parts[0]);
      ok = this.channel.write(parts[1]);
    }
    if (!ok) {
      if (!this.needDrain) {
        this.needDrain = true;
        if (this.options.role === 'server') this.setReadPause(ReadPause.WriteBackpressure, true);
      }
      if (this.channel.writableLength > this.options.maxQueuedBytes) {
        this.destroy(
          new IpcError(
            ErrorCodes.CLOSED,
            `the peer is not reading: over ${this.options.maxQueuedBytes} bytes wait to be written to it`,
          ),
        );
        return false;
      }
    }
    return ok;
  }

  private startHeartbeat(): void {
    const interval = this.options.heartbeatInterval;
    if (!(interval > 0) || !Number.isFinite(interval)) return;
    this.heartbeatTimer = setInterval(() => this.beat(), interval);
    this.heartbeatTimer.unref();
  }

  /** Once per interval: all quiet since the last beat → PING; quiet again after a PING → drop. */
  private beat(): void {
    // Signs of life besides bytes heard: the peer drains what we queued for it. And while
    // we ourselves stopped reading (slow handlers, a slow stream consumer), silence proves nothing.
    const queued = this.channel.writableLength;
    const draining = queued < this.lastQueued;
    this.lastQueued = queued;
    if (this.heard || draining || (this.readPauses & ~ReadPause.WriteBackpressure) !== 0) {
      this.heard = false;
      this.pinged = false;
      return;
    }
    if (this.pinged) {
      debug('connection %d (%s): no answer to a heartbeat, dropping it', this.id, this.transport);
      this.destroy(
        new IpcError(
          ErrorCodes.CLOSED,
          `the peer did not answer a heartbeat within ${this.options.heartbeatInterval} ms (half-open or stuck)`,
        ),
      );
      return;
    }
    this.pinged = true;
    this.send(encodeMessage(Kind.PING, 0, '', undefined));
  }

  private onDrain(): void {
    this.needDrain = false;
    this.setReadPause(ReadPause.WriteBackpressure, false);
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private setReadPause(reason: ReadPause, on: boolean): void {
    const before = this.readPauses;
    this.readPauses = on ? before | reason : before & ~reason;
    if (before === 0 && this.readPauses !== 0) this.channel.pause();
    else if (before !== 0 && this.readPauses === 0 && this.state !== 'closed') this.channel.resume();
  }

  // ---- reading ----

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    this.heard = true;
    try {
      this.decoder.push(chunk);
    } catch (error) {
      this.protocolError(error instanceof IpcError ? error : badFrame(String(error), error));
    }
  }

  private onFrame(frame: Frame): void {
    if (this.state === 'closed') return;
    if (this.state === 'hello') {
      this.onHelloFrame(frame);
      return;
    }
    // A whole chunk of requests arrives at once: past maxInFlight, hold the rest (in order)
    // and stop reading, rather than start them all.
    if (
      this.backlog.length > 0 ||
      (frame.kind === Kind.REQUEST && this.incoming.size >= this.options.maxInFlight)
    ) {
      this.backlog.push(frame);
      this.setReadPause(ReadPause.InFlight, true);
      return;
    }
    this.dispatch(frame);
  }

  private dispatch(frame: Frame): void {
    switch (frame.kind) {
      case Kind.REQUEST:
        this.onRequest(frame);
        return;
      case Kind.RESPONSE:
        this.onResponse(frame);
        return;
      case Kind.ERROR:
        this.onError(frame);
        return;
      case Kind.NOTIFY:
        this.onNotify(frame);
        return;
      case Kind.STREAM_ITEM:
      case Kind.STREAM_END:
        this.onStreamFrame(frame);
        return;
      case Kind.CANCEL:
        this.onCancel(frame.id);
        return;
      case Kind.PING:
        this.send(encodeMessage(Kind.PONG, frame.id, '', undefined));
        return;
      case Kind.PONG:
        return;
      default:
        throw badFrame(`unexpected frame kind ${KIND_NAMES[frame.kind] ?? frame.kind}`);
    }
  }

  private onHelloFrame(frame: Frame): void {
    if (this.options.role === 'client') {
      if (frame.kind === Kind.ERROR && frame.id === 0) {
        const error = fromWireError(decodeValue(frame));
        this.closeError = error;
        this.helloReject?.(error);
        this.destroy(error);
        return;
      }
      if (frame.kind !== Kind.HELLO)
        throw badFrame(`expected HELLO, got ${KIND_NAMES[frame.kind] ?? frame.kind}`);
      this.serverHello = parseServerHello(decodeValue(frame));
      if (this.serverHello.protocol !== PROTOCOL_VERSION) {
        throw new IpcError(
          ErrorCodes.VERSION,
          `server speaks protocol ${this.serverHello.protocol}, this client ${PROTOCOL_VERSION}`,
        );
      }
      this.state = 'open';
      this.startHeartbeat();
      this.helloResolve?.();
      return;
    }
    if (frame.kind !== Kind.HELLO)
      throw badFrame(`expected HELLO, got ${KIND_NAMES[frame.kind] ?? frame.kind}`);
    const hello = parseClientHello(decodeValue(frame));
    if (hello.protocol !== PROTOCOL_VERSION) {
      throw new IpcError(
        ErrorCodes.VERSION,
        `client speaks protocol ${hello.protocol}, this server ${PROTOCOL_VERSION}`,
      );
    }
    const authorize = this.options.authorize;
    if (authorize !== undefined && !authorize(hello.token)) {
      debug('connection %d (%s): hello refused (bad or missing token)', this.id, this.transport);
      throw new IpcError(ErrorCodes.AUTH, 'the server refused the hello: missing or wrong token');
    }
    clearTimeout(this.helloTimer);
    this.state = 'open';
    this.startHeartbeat();
    const reply: ServerHello = {
      protocol: PROTOCOL_VERSION,
      server: 'unixipc',
      maxFrameBytes: this.options.maxFrameBytes,
    };
    this.send(encodeMessage(Kind.HELLO, 0, '', reply));
    this.options.onOpen?.();
  }

  private onRequest(frame: Frame): void {
    const id = frame.id;
    if (id === 0) throw badFrame('request id 0 is reserved');
    if (this.incoming.has(id)) throw badFrame(`request id ${id} is already in flight`);
    const method = frameMeta(frame);
    const params = decodeValue(frame);
    if (this.state === 'closing') {
      this.sendError(id, new IpcError(ErrorCodes.CLOSED, `the server is closing; "${method}" was not run`));
      return;
    }
    const handler = this.options.lookup?.(method);
    if (handler === undefined) {
      this.sendError(id, new IpcError(ErrorCodes.NO_METHOD, `no method "${method}"`));
      return;
    }
    const call = new IncomingCall(id, method, this);
    this.incoming.set(id, call);
    let result: unknown;
    try {
      result = handler(params, call);
    } catch (error) {
      this.finishError(call, error);
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => this.finish(call, value),
        (error) => this.finishError(call, error),
      );
    } else {
      this.finish(call, result);
    }
  }

  private finish(call: IncomingCall, value: unknown): void {
    if (call.done) return;
    if (isStreamResult(value)) {
      void this.streamOut(call, value);
      return;
    }
    let frame: Encoded;
    try {
      frame = encodeMessage(Kind.RESPONSE, call.id, '', value);
    } catch (error) {
      this.finishError(
        call,
        new IpcError(ErrorCodes.REMOTE, `result of "${call.method}" could not be sent: ${error}`),
      );
      return;
    }
    this.complete(call);
    this.send(frame);
  }

  private finishError(call: IncomingCall, error: unknown): void {
    if (call.done) return;
    this.complete(call);
    debug('connection %d: handler "%s" failed: %s', this.id, call.method, (error as Error)?.message);
    this.send(encodeMessage(Kind.ERROR, call.id, '', toWireError(error, true)));
  }

  private complete(call: IncomingCall): void {
    call.done = true;
    this.incoming.delete(call.id);
    if (this.backlog.length > 0) this.drainBacklog();
    if (this.isIdle()) this.notifyIdle();
  }

  /** Handles held frames while there is room; resumes reading once none are left. */
  private drainBacklog(): void {
    if (this.drainingBacklog) return;
    this.drainingBacklog = true;
    try {
      while (this.backlog.length > 0 && this.state !== 'closed') {
        const next = this.backlog[0]!;
        if (next.kind === Kind.REQUEST && this.incoming.size >= this.options.maxInFlight) return;
        this.backlog.shift();
        this.dispatch(next);
      }
    } catch (error) {
      this.protocolError(error instanceof IpcError ? error : badFrame(String(error), error));
    } finally {
      this.drainingBacklog = false;
    }
    if (this.backlog.length === 0) this.setReadPause(ReadPause.InFlight, false);
  }

  private async streamOut(call: IncomingCall, iterable: AsyncIterable<unknown>): Promise<void> {
    const iterator = iterable[Symbol.asyncIterator]();
    call.iterator = iterator;
    try {
      for (;;) {
        const step = await iterator.next();
        if (call.done || this.state === 'closed') return;
        if (step.done) break;
        if (!this.send(encodeMessage(Kind.STREAM_ITEM, call.id, '', step.value))) await this.waitDrain();
      }
      if (call.done) return;
      this.complete(call);
      this.send(encodeMessage(Kind.STREAM_END, call.id, '', undefined));
    } catch (error) {
      this.finishError(call, error);
    }
  }

  private sendError(id: number, error: unknown): void {
    this.send(encodeMessage(Kind.ERROR, id, '', toWireError(error)));
  }

  private takePending(id: number, final: boolean): Pending | undefined {
    const entry = this.pending.get(id);
    if (entry !== undefined) {
      if (final) {
        this.pending.delete(id);
        if (this.isIdle()) this.notifyIdle();
      }
      return entry;
    }
    if (this.cancelled.has(id)) {
      if (final) this.cancelled.delete(id);
      return undefined;
    }
    throw badFrame(`${final ? 'answer' : 'stream item'} for unknown request id ${id}`);
  }

  private onResponse(frame: Frame): void {
    const value = decodeValue(frame);
    this.takePending(frame.id, true)?.settleValue(value);
  }

  private onError(frame: Frame): void {
    const error = fromWireError(decodeValue(frame));
    if (frame.id === 0) {
      // The peer is closing the whole connection and says why.
      debug('connection %d: peer closed it: %s %s', this.id, error.code, error.message);
      this.closeError = error;
      this.destroy(error);
      return;
    }
    this.takePending(frame.id, true)?.settleError(error);
  }

  private onStreamFrame(frame: Frame): void {
    if (frame.kind === Kind.STREAM_ITEM) {
      const value = decodeValue(frame);
      this.takePending(frame.id, false)?.streamItem(value);
    } else {
      this.takePending(frame.id, true)?.streamEnd();
    }
  }

  private onNotify(frame: Frame): void {
    const name = frameMeta(frame);
    const data = decodeValue(frame);
    const handler = this.options.lookup?.(name);
    if (handler !== undefined) {
      const call = new IncomingCall(0, name, this);
      try {
        const result = handler(data, call);
        if (isThenable(result)) result.then(undefined, (error) => this.logNotifyError(name, error));
      } catch (error) {
        this.logNotifyError(name, error);
      }
      return;
    }
    this.options.onNotify?.(name, data);
  }

  private logNotifyError(name: string, error: unknown): void {
    debug('connection %d: notification handler "%s" failed: %s', this.id, name, (error as Error)?.message);
  }

  private onCancel(id: number): void {
    const call = this.incoming.get(id);
    if (call === undefined || call.done) return; // already answered: the race is normal
    const reason = new IpcError(ErrorCodes.ABORTED, `"${call.method}" was cancelled by the caller`);
    this.complete(call);
    call.abort(reason);
    this.sendError(id, reason);
  }

  private expire(entry: Pending, timeout: number): void {
    this.cancel(entry, new IpcError(ErrorCodes.TIMEOUT, `"${entry.method}" timed out after ${timeout} ms`));
  }

  /** Ends an outgoing request locally and tells the peer to stop working on it. */
  private cancel(entry: Pending, error: IpcError | undefined): void {
    if (this.pending.get(entry.id) !== entry) return;
    this.pending.delete(entry.id);
    this.cancelled.add(entry.id);
    if (error !== undefined) entry.settleError(error);
    else entry.dispose();
    if (this.state === 'open' || this.state === 'closing') {
      this.send(encodeMessage(Kind.CANCEL, entry.id, '', undefined));
    }
    if (this.isIdle()) this.notifyIdle();
  }

  private allocateId(): number {
    let id = this.nextRequestId;
    while (this.pending.has(id) || this.cancelled.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  // ---- closing ----

  private isIdle(): boolean {
    return this.pending.size === 0 && this.incoming.size === 0 && this.backlog.length === 0;
  }

  private whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The peer broke the protocol: tell it why (best effort), close, fail what is pending. */
  private protocolError(error: IpcError): void {
    if (this.state === 'closed') return;
    debug('connection %d (%s): protocol error %s: %s', this.id, this.transport, error.code, error.message);
    this.sendError(0, error);
    this.flush();
    this.teardown(error);
    this.channel.end();
    setTimeout(() => this.channel.destroy(), ERROR_FLUSH_MS).unref();
  }

  private teardown(error: IpcError | undefined): void {
    if (this.state === 'closed') return;
    const wasHello = this.state === 'hello';
    this.state = 'closed';
    this.closeError = error;
    clearTimeout(this.helloTimer);
    clearInterval(this.heartbeatTimer);
    this.deadlines.clear();
    debug(
      'connection %d (%s): closed%s',
      this.id,
      this.transport,
      error ? ` (${error.code}: ${error.message})` : '',
    );
    if (wasHello && this.helloReject) {
      this.helloReject(
        error ?? new IpcError(ErrorCodes.CONNECT, 'the server closed the connection during the hello'),
      );
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.cancelled.clear();
    for (const entry of pending) entry.settleError(closedError(entry.method, error));
    const reason = new IpcError(
      ErrorCodes.CLOSED,
      'the connection closed',
      error === undefined ? {} : { cause: error },
    );
    for (const call of this.incoming.values()) {
      call.done = true;
      call.abort(reason);
    }
    this.incoming.clear();
    this.backlog = [];
    this.onDrain();
    this.notifyIdle();
    this.resolveClosed();
    this.options.onClose?.(error);
  }
}
