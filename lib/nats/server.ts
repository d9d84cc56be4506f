import { EventEmitter } from '../builtins.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/messages.ts';
import type { NatsConnection, NatsModule, NatsMsg, NatsSubscription } from './api.ts';
import { dialNats, inboxPrefix, type NatsConnectionOptions } from './connection.ts';
import type { NatsHandler } from './context.ts';
import { parseNatsEndpoint } from './endpoint.ts';
import { Incoming } from './incoming.ts';
import { Subjects } from './subjects.ts';

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
  private readonly incoming: Incoming;
  private readonly subscriptions: NatsSubscription[] = [];
  private readonly requestSubscription: NatsSubscription;
  private readonly subjects: Subjects;
  private closing: Promise<void> | undefined;
  private readonly onSignal: () => void;

  /** @internal use serve() */
  constructor(
    nats: NatsModule,
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
    const inbox = nats.createInbox(inboxPrefix(options));
    this.incoming = new Incoming({
      nats,
      nc,
      endpoint,
      service,
      subjects: this.subjects,
      inbox,
      handlers: this.handlers,
      maxInFlight: options.maxInFlight ?? 1024,
      streamIdleTimeout: options.streamIdleTimeout ?? 30_000,
      isClosing: () => this.closing !== undefined,
    });
    const incoming = this.incoming;
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
      callback: guard('request', (msg) => incoming.onRequest(msg)),
    });
    this.subscriptions.push(
      this.requestSubscription,
      nc.subscribe(this.subjects.cancel, { callback: guard('cancel', (msg) => incoming.onCancel(msg)) }),
      nc.subscribe(`${inbox}.>`, { callback: guard('credit', (msg) => incoming.onCredit(msg)) }),
    );
    void nc.closed().then((error) => {
      if (this.closing) return;
      const reason = new IpcError(
        ErrorCodes.CLOSED,
        `the NATS connection of ${this.endpoint} closed${error ? `: ${error.message}` : ''}`,
        error ? { cause: error } : {},
      );
      debug('nats server %s: %s', this.endpoint, reason.message);
      incoming.abortAll(reason);
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
    this.incoming.send(subject, data, undefined, `event "${event}"`);
    return 1;
  }

  /** Requests being handled now (streams included), plus those waiting for a slot. */
  get inFlight(): number {
    return this.incoming.size;
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
    await this.incoming.settled(timeout);
    this.incoming.abortAll(
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
