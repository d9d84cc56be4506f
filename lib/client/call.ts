import { Pending, readAnswer, settle } from '../connection/answers.ts';
import { serverAnswer } from '../connection/handshake.ts';
import { debug } from '../debug.ts';
import { type EndpointInput, formatEndpoint, parseEndpoint } from '../endpoint.ts';
import {
  abortedError,
  badFrame,
  closedError,
  ErrorCodes,
  IpcError,
  systemCode,
  timeoutError,
  tooMuchError,
} from '../errors.ts';
import { type Frame, FrameDecoder } from '../framing/index.ts';
import { CONNECT_DEFAULTS, checkCallOptions } from '../options.ts';
import {
  asIpcError,
  checkName,
  clientHello,
  type Encoded,
  encodeMessage,
  explainForeign,
  HELLO_MAX_BYTES,
  KIND_NAMES,
  Kind,
  toWireError,
} from '../protocol/index.ts';
import { clientTrust, dial } from '../transport/dial.ts';
import type { Socket } from '../transport/sockets.ts';
import type { CallOptions } from '../types/client.ts';
import type { ArgsOf, IsContract, MethodOf, ResultOf } from '../types/contract.ts';

export type { CallOptions } from '../types/client.ts';

/** The one request id a call uses. */
const ID = 1;

/**
 * One request on a connection of its own: connect, call METHOD, close. For a
 * CLI that makes one call and exits: the hello and the request leave in one
 * write, so the answer comes after a single round trip, and none of a
 * long-lived client's machinery (heartbeat, request table, read slabs) is
 * built. Resolves like `client.request()`: a streamed result arrives as an
 * array of its items. Fails with the same codes as `connect()` and `request()`.
 * `call<T>()` says what the result is; `call<Api>()` (or `call<Api, 'method'>()`)
 * checks the method, params and result against a service's contract.
 *
 * @example
 * const status = await call('/run/user/1000/app.sock', 'status');
 */
export async function call<T = any, M extends string = string>(
  endpoint: EndpointInput,
  method: IsContract<T> extends true ? M & MethodOf<T> : M,
  ...args: IsContract<T> extends true
    ? ArgsOf<T[M & keyof T], CallOptions>
    : [params?: unknown, options?: CallOptions]
): Promise<IsContract<T> extends true ? ResultOf<T[M & keyof T]> : T> {
  const [params, options = {}] = args as [unknown, CallOptions | undefined];
  checkName('method', method);
  checkCallOptions(options);
  const signal = options.signal;
  if (signal?.aborted) {
    throw abortedError(method, signal.reason, false);
  }
  const parsed = parseEndpoint(endpoint);
  // Before connecting: a value JSON cannot carry fails here (TypeError) and no server sees anything.
  const request = encodeMessage(Kind.REQUEST, ID, method, params);
  const connectTimeout = options.connectTimeout ?? CONNECT_DEFAULTS.connectTimeout;
  const started = Date.now();
  // The hello and the request are queued as soon as connect() is issued and leave in one write
  // the moment the connection is up. The reference server handles frames that follow an
  // accepted hello at once (PROTOCOL.md 4.4), and drops them unread after a refused one: no
  // handler runs for a client it turned away.
  const dialed = await dial(parsed, connectTimeout, {
    token: options.token,
    trust: clientTrust(options),
    unixOnly: options.transport === 'unix',
    opening: (socket, token) => {
      socket.cork();
      write(socket, encodeMessage(Kind.HELLO, 0, '', clientHello(token)));
      write(socket, request);
      socket.uncork();
    },
  });
  const exchange = new OneCall(dialed.socket, method, formatEndpoint(parsed), options);
  return exchange.run(Math.max(1, connectTimeout - (Date.now() - started))) as Promise<any>;
}

/**
 * The client side of one call's exchange, from the hello to the final frame.
 * The hello and the answers are read by the same code as a Connection's
 * (handshake.ts, answers.ts); what is left here is the one-socket lifecycle.
 */
class OneCall {
  private readonly decoder: FrameDecoder;
  private state: 'hello' | 'open' | 'done' = 'hello';
  /** The server's first bytes, until its hello: one that speaks another protocol is told so. */
  private firstBytes: Buffer | undefined;
  private readonly pending: Pending;
  private readonly maxCollected: number;
  private timer: NodeJS.Timeout | undefined;
  private resolve!: (value: unknown) => void;
  private reject!: (error: IpcError) => void;
  private readonly onAbort = () => {
    this.cancel(abortedError(this.method, this.options.signal?.reason, true));
  };

  constructor(
    private readonly socket: Socket,
    private readonly method: string,
    private readonly where: string,
    private readonly options: CallOptions,
  ) {
    this.decoder = new FrameDecoder((frame) => this.onFrame(frame));
    this.decoder.setLimit(
      Math.min(HELLO_MAX_BYTES, options.maxFrameBytes ?? CONNECT_DEFAULTS.maxFrameBytes),
      'the limit before the hello',
    );
    this.maxCollected = options.maxBufferedBytes ?? CONNECT_DEFAULTS.maxBufferedBytes;
    this.pending = new Pending(
      ID,
      method,
      (value) => this.settled(value),
      (error) => this.fail(error),
    );
  }

  /** Waits for the hello reply and the answer (both frames already went out with the connect). */
  run(helloWithinMs: number): Promise<unknown> {
    const promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    const socket = this.socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.onClose(error));
    socket.on('close', () => this.onClose(undefined));
    // It closed between the connect and now (the server closed at once, a write failed): its 'close' has gone by.
    if (socket.destroyed) queueMicrotask(() => this.onClose((socket.errored as Error | null) ?? undefined));
    const signal = this.options.signal;
    if (signal?.aborted) {
      // Aborted while connecting: the request left with the connect, so the server is told.
      this.onAbort();
      return promise;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(
      () =>
        this.fail(
          new IpcError(
            ErrorCodes.CONNECT,
            `cannot connect to ${this.where}: no hello within ${this.options.connectTimeout ?? CONNECT_DEFAULTS.connectTimeout} ms`,
          ),
        ),
      helloWithinMs,
    );
    return promise;
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'done') return;
    try {
      if (this.state === 'hello') this.firstBytes ??= Buffer.from(chunk.subarray(0, 32));
      this.decoder.push(chunk);
    } catch (error) {
      const ipcError =
        this.state === 'hello' ? explainForeign(asIpcError(error), this.firstBytes) : asIpcError(error);
      // Tell the server why, as a connection would (best effort: we close right after).
      write(this.socket, encodeMessage(Kind.ERROR, 0, '', toWireError(ipcError)));
      this.fail(ipcError);
    }
  }

  private onFrame(frame: Frame): void {
    if (this.state === 'done') return;
    if (this.state === 'hello') {
      this.onHello(frame);
      return;
    }
    switch (frame.kind) {
      case Kind.RESPONSE:
      case Kind.STREAM_ITEM:
      case Kind.STREAM_END:
      case Kind.ERROR: {
        const value = readAnswer(frame);
        if (frame.kind === Kind.ERROR && frame.id === 0) {
          // The server is closing the connection and says why: that, not the close, is what the caller hears.
          this.fail(value as IpcError);
          return;
        }
        if (frame.id !== ID) throw badFrame(`answer for unknown request id ${frame.id}`);
        if (!settle(this.pending, frame.kind, value, frame.end - frame.start, this.maxCollected)) {
          this.cancel(tooMuchError(this.method, this.maxCollected));
        }
        return;
      }
      case Kind.NOTIFY:
        // Events (a greeting from the server's 'connection' handler): no one listens on a one-shot call.
        readAnswer(frame);
        return;
      case Kind.PING:
        write(this.socket, encodeMessage(Kind.PONG, frame.id, '', undefined));
        return;
      case Kind.PONG:
        return;
      case Kind.REQUEST:
        // A call offers no methods of its own.
        write(
          this.socket,
          encodeMessage(
            Kind.ERROR,
            frame.id,
            '',
            toWireError(new IpcError(ErrorCodes.NO_METHOD, 'a one-shot call serves no methods')),
          ),
        );
        return;
      default:
        throw badFrame(`unexpected frame kind ${KIND_NAMES[frame.kind] ?? frame.kind}`);
    }
  }

  private onHello(frame: Frame): void {
    const answer = serverAnswer(frame);
    if (answer instanceof IpcError) {
      this.fail(answer);
      return;
    }
    this.state = 'open';
    this.decoder.setLimit(this.options.maxFrameBytes ?? CONNECT_DEFAULTS.maxFrameBytes);
    clearTimeout(this.timer);
    const timeout = this.options.timeout ?? CONNECT_DEFAULTS.timeout;
    if (timeout > 0 && Number.isFinite(timeout)) {
      this.timer = setTimeout(() => this.cancel(timeoutError(this.method, timeout)), timeout);
    }
  }

  /** The caller gave up (timeout, abort): the server stops the handler too. */
  private cancel(error: IpcError): void {
    if (this.state === 'done') return;
    // Also before the hello reply: the request went out with the hello.
    write(this.socket, encodeMessage(Kind.CANCEL, ID, '', undefined));
    this.fail(error);
  }

  private onClose(error: Error | undefined): void {
    if (this.state === 'done') return;
    if (this.state === 'hello') {
      this.fail(
        new IpcError(
          ErrorCodes.CONNECT,
          `cannot connect to ${this.where}: the server closed the connection during the hello` +
            (error === undefined ? '' : ` (${systemCode(error) ?? error.message})`),
          error === undefined ? {} : { cause: error },
        ),
      );
    } else {
      this.fail(closedError(this.method, error));
    }
  }

  private settled(value: unknown): void {
    if (this.state === 'done') return;
    this.finish();
    this.resolve(value);
  }

  private fail(error: IpcError): void {
    if (this.state === 'done') return;
    debug('call %s on %s: %s %s', this.method, this.where, error.code, error.message);
    this.finish();
    this.reject(error);
  }

  /**
   * Ends the connection gracefully, without keeping the process alive for the
   * server's side of the close: a CLI exits as soon as it has its answer.
   */
  private finish(): void {
    this.state = 'done';
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.pending.dispose();
    this.socket.end();
    this.socket.unref();
  }
}

function write(socket: Socket, frame: Encoded): void {
  if (socket.destroyed) return;
  if (Buffer.isBuffer(frame)) {
    socket.write(frame);
  } else {
    socket.write(frame[0]);
    socket.write(frame[1]);
  }
}
