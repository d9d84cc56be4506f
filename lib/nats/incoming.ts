import { isStreamResult, isThenable } from '../connection/incoming.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/messages.ts';
import type { NatsConnection, NatsModule, NatsMsg } from './api.ts';
import { type NatsHandler, type NatsPeer, ServerCall } from './context.ts';
import { OutgoingStream } from './stream-out.ts';
import { inboxOf, peerEventSubject, type Subjects } from './subjects.ts';
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

/** What the requests of a server instance need from it. */
export interface IncomingHost {
  readonly nats: NatsModule;
  readonly nc: NatsConnection;
  readonly endpoint: string;
  readonly service: string;
  readonly subjects: Subjects;
  /** This instance's own inbox: stream credit comes to INBOX.N. */
  readonly inbox: string;
  readonly handlers: ReadonlyMap<string, NatsHandler>;
  readonly maxInFlight: number;
  readonly streamIdleTimeout: number;
  isClosing(): boolean;
}

/**
 * The requests one server instance is handling: running handlers, exactly one answer per request
 * (a result, an error, or a stream's items and end), cancels, stream credit, and maxInFlight.
 */
export class Incoming {
  /** Requests whose handler is still running, by reply subject (the key a cancel names). */
  private readonly calls = new Map<string, ServerCall>();
  /** Streams going out, by their number (the last token of their control subject). */
  private readonly streams = new Map<string, OutgoingStream>();
  /** Requests received while maxInFlight were running. */
  private backlog: NatsMsg[] = [];
  private drainingBacklog = false;
  private nextId = 1;
  private idle: (() => void) | undefined;

  constructor(readonly host: IncomingHost) {}

  /** Requests being handled (streams included), plus those waiting for a slot. */
  get size(): number {
    return this.calls.size + this.backlog.length;
  }

  /** Resolves when no request is left, or after TIMEOUT ms. */
  async settled(timeout: number): Promise<void> {
    if (this.size === 0 || timeout <= 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      timer = setTimeout(resolve, timeout);
    });
    clearTimeout(timer);
    this.idle = undefined;
  }

  /** Fails every request still here (they get ERR_IPC_CLOSED), and their signals fire. */
  abortAll(reason: IpcError): void {
    const waiting = this.backlog;
    this.backlog = [];
    for (const msg of waiting) if (msg.reply) this.sendError(msg.reply, reason, false);
    for (const call of [...this.calls.values()]) {
      this.fail(call, reason, false);
      call.abort(reason);
    }
    for (const stream of this.streams.values()) stream.stop(reason);
  }

  onRequest(msg: NatsMsg): void {
    if (this.calls.size >= this.host.maxInFlight || this.backlog.length > 0) {
      this.backlog.push(msg);
      return;
    }
    this.dispatch(msg);
  }

  private dispatch(msg: NatsMsg): void {
    const reply = msg.reply;
    const method = this.host.subjects.methodOf(msg.subject);
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
    const handler = this.host.handlers.get(method);
    if (!reply) {
      this.notification(method, handler, params, msg.headers?.get(Header.PEER) || undefined);
      return;
    }
    if (handler === undefined) {
      this.sendError(
        reply,
        new IpcError(ErrorCodes.NO_METHOD, `no method "${method}" on service "${this.host.service}"`),
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
      debug(
        'nats server %s: notification "%s" failed: %s',
        this.host.endpoint,
        method,
        (error as Error)?.message,
      );
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
    debug('nats server %s: "%s" failed: %s', this.host.endpoint, call.method, (error as Error)?.message);
    this.sendError(call.reply!, error, fromHandler);
  }

  private complete(call: ServerCall): void {
    call.done = true;
    if (call.reply !== undefined && this.calls.get(call.reply) === call) this.calls.delete(call.reply);
    if (this.backlog.length > 0 && !this.drainingBacklog) {
      // A flag, not recursion: a sync handler completes inside dispatch().
      this.drainingBacklog = true;
      const limit = this.host.maxInFlight;
      try {
        while (this.backlog.length > 0 && this.calls.size < limit) this.dispatch(this.backlog.shift()!);
      } finally {
        this.drainingBacklog = false;
      }
    }
    if (this.idle !== undefined && this.size === 0) this.idle();
  }

  private streamOut(call: ServerCall, iterable: AsyncIterable<unknown>, msg: NatsMsg): void {
    const reply = call.reply!;
    const asked = Number(msg.headers?.get(Header.WINDOW) || DEFAULT_WINDOW);
    const window = Number.isInteger(asked) && asked > 0 ? Math.min(asked, 65_536) : DEFAULT_WINDOW;
    const idleTimeout = this.host.streamIdleTimeout;
    const key = String(call.id);
    const control = `${this.host.inbox}.${key}`;
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
          this.host.nc.publish(reply, undefined, {
            headers: headersOf(this.host.nats, { [Header.KIND]: Kinds.END }),
          });
        } catch (error) {
          debug(
            'nats server %s: could not end "%s": %s',
            this.host.endpoint,
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
  onCancel(msg: NatsMsg): void {
    const reply = Buffer.from(msg.data).toString('utf8');
    const call = this.calls.get(reply);
    if (call === undefined || call.done) return; // another instance's, or already answered
    const reason = new IpcError(ErrorCodes.ABORTED, `"${call.method}" was cancelled by the caller`);
    this.complete(call);
    call.abort(reason);
    this.streams.get(String(call.id))?.stop(reason);
  }

  /** Credit for stream N arrives on INBOX.N: the number of items its client has consumed. */
  onCredit(msg: NatsMsg): void {
    const key = msg.subject.slice(this.host.inbox.length + 1);
    const count = Number(Buffer.from(msg.data).toString('latin1'));
    if (Number.isSafeInteger(count) && count >= 0) this.streams.get(key)?.credit(count);
  }

  send(
    subject: string,
    value: unknown,
    fields: Record<string, string> | undefined,
    what: string,
    reply?: string,
  ): void {
    const out = encodeValue(value);
    const headers = headersOf(this.host.nats, { ...fields, [Header.ENC]: out.bytes ? 'bytes' : undefined });
    const options: { headers?: typeof headers; reply?: string } = {};
    if (headers !== undefined) options.headers = headers;
    if (reply !== undefined) options.reply = reply;
    publish(this.host.nc, subject, out.payload, options, what);
  }

  private sendError(reply: string, error: unknown, fromHandler: boolean): void {
    if (this.host.nc.isClosed()) return;
    try {
      this.host.nc.publish(reply, encodeError(error, fromHandler), {
        headers: headersOf(this.host.nats, { [Header.KIND]: Kinds.ERROR }),
      });
    } catch (caught) {
      debug('nats server %s: could not send an error: %s', this.host.endpoint, (caught as Error)?.message);
    }
  }

  private readonly makePeer = (inbox: string | undefined): NatsPeer => {
    const incoming = this;
    return {
      id: inbox ?? '',
      transport: 'nats',
      notify(event: string, data?: unknown): boolean {
        if (inbox === undefined || incoming.host.isClosing() || incoming.host.nc.isClosed()) return false;
        if (RESERVED_EVENT_NAMES.has(event))
          throw new TypeError(`"${event}" is reserved and cannot be sent as an event`);
        incoming.send(peerEventSubject(inbox, event), data, undefined, `event "${event}"`);
        return true;
      },
    };
  };
}
