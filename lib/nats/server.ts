import { EventEmitter } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/messages.ts';
import type { NatsConnection, NatsModule, NatsMsg, NatsSubscription } from './api.ts';
import { dialNats, inboxPrefix, type NatsConnectionOptions } from './connection.ts';
import { type NatsHandler, type NatsPeer, ServerCall } from './context.ts';
import { parseNatsEndpoint } from './endpoint.ts';
import { OutgoingStream } from './stream-out.ts';
import { inboxOf, peerEventSubject, Subjects } from './subjects.ts';
import {
  DEFAULT_WINDOW,
  decodeValue,
  encodeError,
  encodeValue,
  Header,
  headersOf,
  Kinds,
  publish,
} from './wire.ts';

export interface NatsServeOptions extends NatsConnectionOptions {
  /** Methods by name; more can be added with `server.handle()`. */
  handlers?: Record<string, NatsHandler>;
  /**
   * The NATS queue group: instances in the same group share the requests (each request goes to
   * one of them). @default the service name
   */
  queue?: string;
  /** Requests handled at once; more wait here, in order, until one finishes. @default 1024 */
  maxInFlight?: number;
  /** How long `close()` lets in-flight requests finish. @default 10000 */
  closeTimeout?: number;
  /**
   * A stream whose client has sent no credit for this many ms is abandoned and its handler's
   * signal fires (NATS has no connection whose end would say the client is gone). 0: never.
   * @default 30000
   */
  streamIdleTimeout?: number;
  /** On SIGINT/SIGTERM: close gracefully, then exit with code 0. @default false */
  handleSignals?: boolean;
}

export interface NatsServerEvents {
  /** A background failure: the NATS connection closed for good while serving. */
  error: [error: Error];
}

/**
 * A service on NATS. Create it with `serve('nats://HOST:PORT/SERVICE', options)`. Every instance
 * of one service joins the same queue group, so they share its requests.
 */
export class NatsServer extends EventEmitter<NatsServerEvents> {
  /** 'nats://HOST:PORT/SERVICE' (without credentials). */
  readonly endpoint: string;
  readonly transport = 'nats' as const;
  readonly service: string;
  private readonly handlers = new Map<string, NatsHandler>();
  /** Requests whose handler is still running, by reply subject (the key a cancel names). */
  private readonly calls = new Map<string, ServerCall>();
  /** Streams going out, by their number (the last token of their control subject). */
  private readonly streams = new Map<string, OutgoingStream>();
  /** Requests received while maxInFlight were running. */
  private backlog: NatsMsg[] = [];
  private drainingBacklog = false;
  private readonly subscriptions: NatsSubscription[] = [];
  private readonly requestSubscription: NatsSubscription;
  private readonly subjects: Subjects;
  private readonly inbox: string;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  private readonly onSignal: () => void;

  /** @internal use serve() */
  constructor(
    private readonly nats: NatsModule,
    private readonly nc: NatsConnection,
    private readonly owned: boolean,
    endpoint: string,
    service: string,
    private readonly options: NatsServeOptions,
  ) {
    super();
    this.endpoint = endpoint;
    this.service = service;
    this.subjects = new Subjects(service);
    this.inbox = nats.createInbox(inboxPrefix(options));
    for (const [method, fn] of Object.entries(options.handlers ?? {})) this.handle(method, fn);
    const guard = (what: string, fn: (msg: NatsMsg) => void) => (error: Error | null, msg: NatsMsg) => {
      if (error) {
        debug('nats server %s: %s subscription error: %s', this.endpoint, what, error.message);
        return;
      }
      try {
        fn(msg);
      } catch (caught) {
        debug('nats server %s: %s message dropped: %s', this.endpoint, what, (caught as Error)?.message);
      }
    };
    this.requestSubscription = nc.subscribe(this.subjects.requests, {
      queue: options.queue ?? service,
      callback: guard('request', (msg) => this.onRequest(msg)),
    });
    this.subscriptions.push(
      this.requestSubscription,
      nc.subscribe(this.subjects.cancel, { callback: guard('cancel', (msg) => this.onCancel(msg)) }),
      nc.subscribe(`${this.inbox}.>`, { callback: guard('credit', (msg) => this.onCredit(msg)) }),
    );
    void nc.closed().then((error) => {
      if (this.closing) return;
      const reason = new IpcError(
        ErrorCodes.CLOSED,
        `the NATS connection of ${this.endpoint} closed${error ? `: ${error.message}` : ''}`,
        error ? { cause: error } : {},
      );
      debug('nats server %s: %s', this.endpoint, reason.message);
      this.abortAll(reason);
      if (this.listenerCount('error') > 0) this.emit('error', reason);
    });
    this.onSignal = () => {
      this.close().finally(() => process.exit(0));
    };
    if (options.handleSignals) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
  }

  /** Adds or replaces the handler for METHOD. Handlers get `(params, ctx)`; sync or async. */
  handle(method: string, fn: NatsHandler): this {
    this.subjects.request(method); // checks the name
    if (typeof fn !== 'function') throw new TypeError(`handler for "${method}" must be a function`);
    this.handlers.set(method, fn);
    return this;
  }

  /**
   * Publishes an event to every client of this service (SERVICE.evt.EVENT). NATS does not say
   * who is listening: it returns 1 once published (0 when the server is closing), not a count.
   */
  broadcast(event: string, data?: unknown): number {
    if (RESERVED_EVENT_NAMES.has(event))
      throw new TypeError(`"${event}" is reserved and cannot be broadcast`);
    const subject = this.subjects.event(event);
    if (this.closing || this.nc.isClosed()) return 0;
    this.send(subject, data, undefined, `event "${event}"`);
    return 1;
  }

  /** Requests being handled now (streams included), plus those waiting for a slot. */
  get inFlight(): number {
    return this.calls.size + this.backlog.length;
  }

  /**
   * Graceful: stops taking requests (the queue group sends them to the other instances), lets
   * in-flight ones finish (up to `timeout` ms, then fails them with ERR_IPC_CLOSED), then closes
   * its NATS connection (unless it was given one). Idempotent.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(options.timeout ?? this.options.closeTimeout ?? 10_000);
    return this.closing;
  }

  /** Hard stop: running requests fail with ERR_IPC_CLOSED now. */
  destroy(): Promise<void> {
    return this.close({ timeout: 0 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async shutdown(timeout: number): Promise<void> {
    debug('nats server %s: closing', this.endpoint);
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
    if (!this.nc.isClosed()) {
      // Unsubscribes and hands over what had already arrived: that still runs.
      await this.requestSubscription.drain().catch(() => {});
    }
    if (this.calls.size + this.backlog.length > 0 && timeout > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        timer = setTimeout(resolve, timeout);
      });
      clearTimeout(timer);
    }
    this.idle = undefined;
    this.abortAll(
      new IpcError(ErrorCodes.CLOSED, `the server ${this.endpoint} closed before the request finished`),
    );
    for (const subscription of this.subscriptions) {
      try {
        subscription.unsubscribe();
      } catch {}
    }
    if (this.owned && !this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
    else if (!this.nc.isClosed()) await this.nc.flush().catch(() => {});
  }

  /** Fails every request still here (they get ERR_IPC_CLOSED), and their signals fire. */
  private abortAll(reason: IpcError): void {
    const waiting = this.backlog;
    this.backlog = [];
    for (const msg of waiting) if (msg.reply) this.sendError(msg.reply, reason, false);
    for (const call of [...this.calls.values()]) {
      this.fail(call, reason, false);
      call.abort(reason);
    }
    for (const stream of this.streams.values()) stream.stop(reason);
  }

  private onRequest(msg: NatsMsg): void {
    if (this.calls.size >= (this.options.maxInFlight ?? 1024) || this.backlog.length > 0) {
      this.backlog.push(msg);
      return;
    }
    this.dispatch(msg);
  }

  private dispatch(msg: NatsMsg): void {
    const reply = msg.reply;
    const method = this.subjects.methodOf(msg.subject);
    if (method === undefined) {
      if (reply)
        this.sendError(
          reply,
          new IpcError(ErrorCodes.BAD_FRAME, `bad request subject ${msg.subject}`),
          false,
        );
      return;
    }
    let params: unknown;
    try {
      params = decodeValue(msg);
    } catch (error) {
      if (reply) this.sendError(reply, error, false);
      return;
    }
    const handler = this.handlers.get(method);
    if (!reply) {
      this.notification(method, handler, params, msg.headers?.get(Header.PEER) || undefined);
      return;
    }
    if (handler === undefined) {
      this.sendError(
        reply,
        new IpcError(ErrorCodes.NO_METHOD, `no method "${method}" on service "${this.service}"`),
        false,
      );
      return;
    }
    const call = new ServerCall(this.nextId++, method, reply, inboxOf(reply), this.makePeer);
    let result: unknown;
    try {
      result = handler(params, call);
    } catch (error) {
      this.fail(call, error, true);
      return;
    }
    if (isThenable(result)) {
      this.calls.set(reply, call);
      result.then(
        (value) => this.finish(call, value, msg),
        (error) => this.fail(call, error, true),
      );
    } else {
      this.finish(call, result, msg);
    }
  }

  private notification(
    method: string,
    handler: NatsHandler | undefined,
    params: unknown,
    inbox?: string,
  ): void {
    const logFailure = (error: unknown) =>
      debug('nats server %s: notification "%s" failed: %s', this.endpoint, method, (error as Error)?.message);
    if (handler === undefined) {
      logFailure(new Error('no such method'));
      return;
    }
    try {
      const result = handler(params, new ServerCall(0, method, undefined, inbox, this.makePeer));
      if (isThenable(result)) result.then(undefined, logFailure);
    } catch (error) {
      logFailure(error);
    }
  }

  private finish(call: ServerCall, value: unknown, msg: NatsMsg): void {
    if (call.done) return;
    const reply = call.reply!;
    if (isStreamResult(value)) {
      this.calls.set(reply, call);
      this.streamOut(call, value, msg);
      return;
    }
    try {
      this.send(reply, value, undefined, `the result of "${call.method}"`);
    } catch (error) {
      this.fail(call, error, false);
      return;
    }
    this.complete(call);
  }

  private fail(call: ServerCall, error: unknown, fromHandler: boolean): void {
    if (call.done) return;
    this.complete(call);
    debug('nats server %s: "%s" failed: %s', this.endpoint, call.method, (error as Error)?.message);
    this.sendError(call.reply!, error, fromHandler);
  }

  private complete(call: ServerCall): void {
    call.done = true;
    if (call.reply !== undefined && this.calls.get(call.reply) === call) this.calls.delete(call.reply);
    if (this.backlog.length > 0 && !this.drainingBacklog) {
      // A flag, not recursion: a sync handler completes inside dispatch().
      this.drainingBacklog = true;
      const limit = this.options.maxInFlight ?? 1024;
      try {
        while (this.backlog.length > 0 && this.calls.size < limit) this.dispatch(this.backlog.shift()!);
      } finally {
        this.drainingBacklog = false;
      }
    }
    if (this.idle !== undefined && this.calls.size === 0 && this.backlog.length === 0) this.idle();
  }

  private streamOut(call: ServerCall, iterable: AsyncIterable<unknown>, msg: NatsMsg): void {
    const reply = call.reply!;
    const asked = Number(msg.headers?.get(Header.WINDOW) || DEFAULT_WINDOW);
    const window = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 65_536) : DEFAULT_WINDOW;
    const idleTimeout = this.options.streamIdleTimeout ?? 30_000;
    const key = String(call.id);
    const control = `${this.inbox}.${key}`;
    const keepalive = idleTimeout > 0 ? String(Math.max(5, Math.floor(idleTimeout / 3))) : undefined;
    const stream = new OutgoingStream(call, window, idleTimeout, {
      item: (seq, value) => {
        const what = `item ${seq} of "${call.method}"`;
        const fields: Record<string, string> = { [Header.KIND]: Kinds.ITEM, [Header.SEQ]: String(seq) };
        if (seq === 1 && keepalive !== undefined) fields[Header.KEEPALIVE] = keepalive;
        this.send(reply, value, fields, what, control);
      },
      end: () => {
        if (call.done) return;
        this.complete(call);
        try {
          this.nc.publish(reply, undefined, { headers: headersOf(this.nats, { [Header.KIND]: Kinds.END }) });
        } catch (error) {
          debug(
            'nats server %s: could not end "%s": %s',
            this.endpoint,
            call.method,
            (error as Error)?.message,
          );
        }
      },
      fail: (error, fromHandler) => this.fail(call, error, fromHandler),
      done: () => this.streams.delete(key),
    });
    this.streams.set(key, stream);
    void stream.run(iterable);
  }

  /** A cancel names the reply subject of the request it cancels. */
  private onCancel(msg: NatsMsg): void {
    const reply = Buffer.from(msg.data).toString('utf8');
    const call = this.calls.get(reply);
    if (call === undefined || call.done) return; // another instance's, or already answered
    const reason = new IpcError(ErrorCodes.ABORTED, `"${call.method}" was cancelled by the caller`);
    this.complete(call);
    call.abort(reason);
    this.streams.get(String(call.id))?.stop(reason);
  }

  /** Credit for stream N arrives on INBOX.N: the number of items its client has consumed. */
  private onCredit(msg: NatsMsg): void {
    const key = msg.subject.slice(this.inbox.length + 1);
    const count = Number(Buffer.from(msg.data).toString('latin1'));
    if (Number.isSafeInteger(count) && count >= 0) this.streams.get(key)?.credit(count);
  }

  private send(
    subject: string,
    value: unknown,
    fields: Record<string, string> | undefined,
    what: string,
    reply?: string,
  ): void {
    const out = encodeValue(value);
    const headers = headersOf(this.nats, { ...fields, [Header.ENC]: out.bytes ? 'bytes' : undefined });
    const options: { headers?: typeof headers; reply?: string } = {};
    if (headers !== undefined) options.headers = headers;
    if (reply !== undefined) options.reply = reply;
    publish(this.nc, subject, out.payload, options, what);
  }

  private sendError(reply: string, error: unknown, fromHandler: boolean): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(reply, encodeError(error, fromHandler), {
        headers: headersOf(this.nats, { [Header.KIND]: Kinds.ERROR }),
      });
    } catch (caught) {
      debug('nats server %s: could not send an error: %s', this.endpoint, (caught as Error)?.message);
    }
  }

  private readonly makePeer = (inbox: string | undefined): NatsPeer => {
    const server = this;
    return {
      id: inbox ?? '',
      transport: 'nats',
      notify(event: string, data?: unknown): boolean {
        if (inbox === undefined || server.closing || server.nc.isClosed()) return false;
        if (RESERVED_EVENT_NAMES.has(event))
          throw new TypeError(`"${event}" is reserved and cannot be sent as an event`);
        server.send(peerEventSubject(inbox, event), data, undefined, `event "${event}"`);
        return true;
      },
    };
  };
}

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

/**
 * Serves HANDLERS as the service SERVICE on the NATS server at HOST:PORT. Start several: they
 * share the requests (a NATS queue group). Resolves once its subscriptions are in place, so a
 * request sent after that reaches it.
 *
 * @example
 * const server = await serve('nats://127.0.0.1:4222/greeter', { handlers: { upper: (s) => s.toUpperCase() } });
 */
export async function serve(endpoint: string, options: NatsServeOptions = {}): Promise<NatsServer> {
  const parsed = parseNatsEndpoint(endpoint);
  const { nats, nc, owned } = await dialNats(parsed, options, `unixipc server ${parsed.service}`);
  const server = new NatsServer(nats, nc, owned, parsed.display, parsed.service, options);
  try {
    await nc.flush();
  } catch (cause) {
    await server.destroy();
    throw new IpcError(ErrorCodes.CONNECT, `the NATS server for ${parsed.display} did not confirm`, {
      cause,
    });
  }
  debug('nats server %s: serving', parsed.display);
  return server;
}
