import { ErrorCodes, IpcError } from '../../errors.ts';
import type { Socket } from '../../transport/index.ts';
import type { Settings } from './config.ts';
import { DelimiterDecoder } from './delimiter-decoder.ts';
import { admit } from './policy.ts';
import { decodeMessage } from './wire.ts';

/** What a stream peer reports to its client or server. */
export interface PeerEvents {
  /** A message passed the checks (a 'fast' peer's reserved names are dropped before this). */
  message(type: string, data: unknown): void;
  /** `rawBuffer` mode: bytes as they arrived. */
  raw(bytes: Buffer): void;
  /** A message that was dropped, for the log. */
  dropped(type: string): void;
  /** The peer broke the protocol or a limit; the socket is already being destroyed. */
  failed(error: IpcError): void;
  /** The socket reported an error (a reset, for one); 'close' follows. */
  socketError(error: IpcError): void;
  /** The socket closed (after `failed`, if that is why). */
  closed(): void;
}

/** After end() has flushed the writes, how long the peer has to close its side. */
const END_GRACE_MS = 2_000;
/** How long end() waits for a peer that does not read what is still queued for it. */
const END_FLUSH_MS = 30_000;

/**
 * One stream connection speaking node-ipc's wire: decodes messages as they
 * complete, caps what is buffered each way, times out an incomplete message,
 * and closes gracefully so that what was written before end() still goes out.
 */
export class StreamPeer {
  private readonly decoder: DelimiterDecoder | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  /** The protocol failure that closed it, if one did. */
  failure: IpcError | undefined;

  constructor(
    readonly socket: Socket,
    private readonly settings: Settings,
    private readonly events: PeerEvents,
  ) {
    if (settings.profile !== 'raw') {
      this.decoder = new DelimiterDecoder(settings.delimiter, (bytes) => this.onMessage(bytes), {
        maxMessageBytes: settings.maxMessageBytes,
      });
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: Error) => {
      if (this.failure === undefined) {
        events.socketError(
          new IpcError(ErrorCodes.CLOSED, `connection error: ${error.message}`, { cause: error }),
        );
      }
    });
    socket.on('close', () => {
      this.clearTimer();
      events.closed();
    });
  }

  get open(): boolean {
    return !this.ended && !this.socket.destroyed;
  }

  /**
   * Writes one message. Past `maxPendingBytes` queued for this peer (it is
   * not reading), the connection is closed with ERR_IPC_CLOSED instead.
   */
  send(bytes: Buffer): boolean {
    if (!this.open) return false;
    if (this.socket.writableLength + bytes.length > this.settings.maxPendingBytes) {
      this.failed(
        new IpcError(
          ErrorCodes.CLOSED,
          `the peer is not reading: over maxPendingBytes (${this.settings.maxPendingBytes}) would wait to be written to it`,
        ),
      );
      return false;
    }
    this.socket.write(bytes);
    return true;
  }

  /** Closes after the queued writes are out (node-ipc's destroy() dropped them). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearTimer();
    const socket = this.socket;
    const destroy = () => socket.destroy();
    let timer = setTimeout(destroy, END_FLUSH_MS);
    timer.unref();
    socket.once('finish', () => {
      clearTimeout(timer);
      timer = setTimeout(destroy, END_GRACE_MS);
      timer.unref();
    });
    socket.once('close', () => clearTimeout(timer));
    socket.end();
  }

  destroy(): void {
    this.ended = true;
    this.clearTimer();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.decoder === undefined) {
      this.events.raw(chunk);
      return;
    }
    try {
      this.decoder.push(chunk);
    } catch (error) {
      // A handler's own exception is the application's: let it through, as node-ipc does.
      const failure = this.decoder.error;
      if (failure === undefined || error !== failure) throw error;
      this.failed(failure);
      return;
    }
    if (this.settings.messageTimeout > 0 && this.open) {
      if (this.decoder.buffered > 0) this.startTimer();
      else this.clearTimer();
    }
  }

  private onMessage(bytes: Buffer): void {
    if (!this.open) return;
    let message: { type: string; data: unknown };
    try {
      message = decodeMessage(bytes);
      if (!admit(message.type, this.settings)) {
        this.events.dropped(message.type);
        return;
      }
    } catch (error) {
      this.failed(error as IpcError);
      return;
    }
    this.events.message(message.type, message.data);
  }

  private failed(error: IpcError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.destroy();
    this.events.failed(error);
  }

  private startTimer(): void {
    if (this.timer !== undefined || this.settings.messageTimeout === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.failed(
        new IpcError(
          ErrorCodes.TIMEOUT,
          `an incomplete message waited over messageTimeout (${this.settings.messageTimeout} ms) for its end`,
        ),
      );
    }, this.settings.messageTimeout);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
