import type { Endpoint } from '../../endpoint.ts';
import { ErrorCodes, IpcError } from '../../errors.ts';
import { dial, type Socket } from '../../transport/index.ts';
import { retriesOf, type Settings, settingsOf } from './config.ts';
import { EventRegistry } from './events.ts';
import type { Log } from './log.ts';
import { outgoing } from './policy.ts';
import { Requests } from './requests.ts';
import { StreamPeer } from './stream-peer.ts';
import type { Client, Config, RequestOptions } from './types.ts';

/** One connection attempt's bound (node-ipc has none but the system's). */
const CONNECT_TIMEOUT_MS = 10_000;

export interface Target {
  id: string;
  /** A socket path, or the host for TCP. */
  path: string;
  /** TCP only. */
  port?: number | undefined;
}

/**
 * `ipc.of[id]`: a client of a node-ipc server over a unix socket or TCP.
 * Differences from node-ipc's, each a fix: `connectTo`'s callback runs once
 * the first connection is made (node-ipc called it at once); `disconnect` is
 * published only when a connection that was made is lost (not after each
 * failed attempt); messages emitted while not connected wait for the
 * connection (bounded by maxPendingBytes); `ipc.disconnect()` lets queued
 * writes go out before closing.
 */
export class IpcClient extends EventRegistry implements Client {
  readonly id: string;
  readonly path: string;
  readonly port: number | undefined;
  /** The connected socket; `false` before the first connection (as node-ipc's runtime). */
  socket: Socket | false = false;
  retriesRemaining: number;
  explicitlyDisconnected = false;

  private readonly settings: Settings;
  private stream: StreamPeer | undefined;
  private connecting = false;
  private gaveUp = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private onFirstConnect: (() => void) | undefined;
  /** Written while not connected: sent, in order, once connected. */
  private unsent: Buffer[] = [];
  private unsentBytes = 0;
  /** config.sync: messages waiting for the server's next message before going out. */
  private syncQueue: Buffer[] = [];
  private syncBusy = false;
  private closeWhenFlushed = false;
  private readonly requests = new Requests();

  constructor(
    private readonly config: Config,
    private readonly log: Log,
    target: Target,
    onFirstConnect?: () => void,
  ) {
    super();
    this.id = target.id;
    this.path = target.path;
    this.port = target.port;
    this.settings = settingsOf(config, target.port !== undefined);
    this.retriesRemaining = retriesOf(config);
    this.onFirstConnect = onFirstConnect;
  }

  /** Starts connecting (and reconnecting, per `retry`, `maxRetries`, `stopRetrying`). */
  connect(): void {
    if (this.connecting || this.stream?.open || this.explicitlyDisconnected) return;
    this.connecting = true;
    const endpoint: Endpoint =
      this.port === undefined
        ? { kind: 'path', path: this.path }
        : { kind: 'tcp', host: this.path, port: this.port };
    this.log(
      'requested connection to',
      this.id,
      this.port === undefined ? this.path : `${this.path}:${this.port}`,
    );
    dial(endpoint, CONNECT_TIMEOUT_MS, { tcp: this.tcpOptions() }).then(
      ({ socket }) => this.attach(socket),
      (error: IpcError) => this.attemptFailed(error),
    );
  }

  emit(type: any, data?: any): this {
    let bytes: Buffer;
    try {
      bytes = outgoing(type, data, this.settings);
    } catch (error) {
      if (error instanceof IpcError) {
        this.log('not sending', this.id, error.message);
        this.publish('error', error);
        return this;
      }
      throw error;
    }
    if (this.settings.logPayloads) this.log('dispatching event to', this.id, ':', type, data);
    if (this.settings.sync) {
      this.syncQueue.push(bytes);
      this.pumpSync();
    } else {
      this.write(bytes);
    }
    return this;
  }

  request(type: string, data?: any, options: RequestOptions = {}): Promise<any> {
    if (this.settings.profile === 'raw') {
      return Promise.reject(
        new IpcError(ErrorCodes.BAD_OPTION, 'request() needs JSON messages, not rawBuffer'),
      );
    }
    if (this.gaveUp || this.explicitlyDisconnected) {
      return Promise.reject(new IpcError(ErrorCodes.CLOSED, `the client ${this.id} is disconnected`));
    }
    const answer = this.requests.add(type, options);
    this.emit(type, data);
    return answer;
  }

  /** `ipc.disconnect(id)`: no more retries; closes after what was emitted has been written. */
  disconnect(): void {
    if (this.explicitlyDisconnected) return;
    this.explicitlyDisconnected = true;
    clearTimeout(this.retryTimer);
    this.syncQueue = [];
    this.requests.rejectAll(new IpcError(ErrorCodes.CLOSED, `disconnected from ${this.id}`));
    if (this.stream?.open) {
      this.stream.end();
    } else if (this.connecting && this.unsentBytes > 0) {
      this.closeWhenFlushed = true;
    } else {
      this.giveUp();
    }
  }

  private tcpOptions(): Record<string, unknown> | undefined {
    if (this.port === undefined) return undefined;
    const source = (this.config.interface ?? this.config.interfaces ?? {}) as Record<string, unknown>;
    const options: Record<string, unknown> = {};
    for (const name of ['localAddress', 'localPort', 'family', 'hints', 'lookup']) {
      if (source[name]) options[name] = source[name];
    }
    return options;
  }

  private attach(socket: Socket): void {
    this.connecting = false;
    if (this.explicitlyDisconnected && !this.closeWhenFlushed) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.retriesRemaining = retriesOf(this.config);
    const stream = new StreamPeer(socket, this.settings, {
      message: (type, data) => this.received(type, data),
      raw: (bytes) => {
        this.publish('data', bytes);
        this.syncAnswered();
      },
      dropped: (type) => this.log('ignoring a message named', type, 'from', this.id, '(a local event name)'),
      failed: (error) => {
        this.log('IPC protocol error', error.code, error.message);
        this.publish('error', error);
      },
      socketError: (error) => {
        this.log('client socket error', error.message);
        this.publish('error', error);
      },
      closed: () => this.closed(stream),
    });
    this.stream = stream;
    for (const bytes of this.unsent) stream.send(bytes);
    this.unsent = [];
    this.unsentBytes = 0;
    if (this.closeWhenFlushed) {
      stream.end();
      return;
    }
    this.pumpSync();
    const first = this.onFirstConnect;
    this.onFirstConnect = undefined;
    first?.();
    this.publish('connect');
  }

  private received(type: string, data: unknown): void {
    if (this.settings.logPayloads) this.log('received event', type, data);
    this.requests.answer(type, data);
    this.publish(type, data);
    this.syncAnswered();
  }

  private write(bytes: Buffer): void {
    if (this.stream?.open) {
      this.stream.send(bytes);
      return;
    }
    if (this.gaveUp || this.explicitlyDisconnected) {
      this.publish(
        'error',
        new IpcError(ErrorCodes.CLOSED, `not connected to ${this.id}: the message was not sent`),
      );
      return;
    }
    if (this.unsentBytes + bytes.length > this.settings.maxPendingBytes) {
      this.publish(
        'error',
        new IpcError(
          ErrorCodes.CLOSED,
          `not connected to ${this.id}, and over maxPendingBytes (${this.settings.maxPendingBytes}) already wait: the message was not sent`,
        ),
      );
      return;
    }
    this.unsent.push(bytes);
    this.unsentBytes += bytes.length;
  }

  private pumpSync(): void {
    if (this.syncBusy || !this.stream?.open) return;
    const next = this.syncQueue.shift();
    if (next === undefined) return;
    this.syncBusy = true;
    this.stream.send(next);
  }

  private syncAnswered(): void {
    if (!this.settings.sync) return;
    this.syncBusy = false;
    this.pumpSync();
  }

  private attemptFailed(error: IpcError): void {
    this.connecting = false;
    if (this.explicitlyDisconnected) {
      this.giveUp();
      return;
    }
    this.log('connection attempt failed', this.id, error.message);
    this.publish('error', error);
    this.retryOrGiveUp(false);
  }

  private closed(stream: StreamPeer): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.syncBusy = false;
    this.log('connection closed', this.id, this.path, this.retriesRemaining, 'tries remaining');
    this.requests.rejectAll(new IpcError(ErrorCodes.CLOSED, `the connection to ${this.id} was lost`));
    this.retryOrGiveUp(true, stream.failure !== undefined);
  }

  private retryOrGiveUp(wasConnected: boolean, protocolViolation = false): void {
    if (
      this.config.stopRetrying ||
      this.retriesRemaining < 1 ||
      this.explicitlyDisconnected ||
      protocolViolation
    ) {
      if (wasConnected) this.publish('disconnect');
      this.giveUp();
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.explicitlyDisconnected) return;
      if (this.config.stopRetrying) {
        this.giveUp();
        return;
      }
      this.retriesRemaining--;
      this.connect();
    }, this.config.retry);
    if (wasConnected) this.publish('disconnect');
  }

  private giveUp(): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.unsent = [];
    this.unsentBytes = 0;
    this.syncQueue = [];
    this.requests.rejectAll(new IpcError(ErrorCodes.CLOSED, `no longer connecting to ${this.id}`));
    this.publish('destroy');
  }

  /** Runs CALLBACK now if connected, else on the next connection. */
  whenConnected(callback: () => void): void {
    if (this.stream?.open) callback();
    else this.once('connect', () => callback());
  }

  /** Whether it will never connect again (node-ipc's destroyed socket). */
  get destroyed(): boolean {
    return this.gaveUp;
  }
}
