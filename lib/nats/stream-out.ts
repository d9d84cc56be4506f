import { ErrorCodes, IpcError } from '../errors.ts';
import type { ServerCall } from './context.ts';

export interface StreamSender {
  /** Publishes item SEQ (from 1); throws an IpcError when it cannot. */
  item(seq: number, value: unknown): void;
  end(): void;
  /** The stream failed (the handler threw, or an item could not be sent). */
  fail(error: unknown, fromHandler: boolean): void;
  /** The stream is over, however it ended: forget it. */
  done(): void;
}

/**
 * A streamed result going out over NATS, item by item, never more than `window` items ahead of
 * the client's credit. NATS has no backpressure of its own (a subscriber that falls behind is cut
 * off as a slow consumer), so without credit a fast generator would fill the NATS server's buffer
 * for a slow reader, and this process's memory with it.
 *
 * The client sends its credit (how many items it has consumed) to this stream's control subject,
 * and sends it again at least every `idleTimeout / 3` ms while the stream is open: a stream whose
 * client has said nothing for `idleTimeout` ms is abandoned and its handler's signal fires.
 */
export class OutgoingStream {
  private acked = 0;
  private sent = 0;
  private lastHeard = Date.now();
  private wake: (() => void) | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(
    private readonly call: ServerCall,
    private readonly window: number,
    private readonly idleTimeout: number,
    private readonly sender: StreamSender,
  ) {}

  /** The client's credit: it has consumed COUNT items (a repeated count is a keepalive). */
  credit(count: number): void {
    this.lastHeard = Date.now();
    if (count > this.acked) this.acked = Math.min(count, this.sent);
    this.resume();
  }

  /** Items sent that the client has not consumed yet. */
  get outstanding(): number {
    return this.sent - this.acked;
  }

  /** Stops the stream (the caller cancelled, or the server is closing). */
  stop(reason: IpcError): void {
    this.call.abort(reason);
    this.resume();
  }

  async run(iterable: AsyncIterable<unknown>): Promise<void> {
    const call = this.call;
    const iterator = iterable[Symbol.asyncIterator]();
    call.iterator = iterator;
    try {
      for (;;) {
        while (this.sent - this.acked >= this.window && !call.done) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
        if (call.done) return;
        const step = await iterator.next();
        if (call.done) return;
        if (step.done) break;
        this.sent++;
        try {
          this.sender.item(this.sent, step.value);
        } catch (error) {
          this.sender.fail(error, false);
          call.abort(error as IpcError);
          return;
        }
        if (this.sent === 1) this.startWatch();
      }
      this.sender.end();
    } catch (error) {
      this.sender.fail(error, true);
    } finally {
      if (this.watch !== undefined) clearInterval(this.watch);
      this.sender.done();
    }
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** After the first item the client knows where to send credit: from then on, silence means gone. */
  private startWatch(): void {
    if (!(this.idleTimeout > 0 && Number.isFinite(this.idleTimeout))) return;
    const every = Math.max(10, Math.floor(this.idleTimeout / 4));
    this.watch = setInterval(() => {
      if (Date.now() - this.lastHeard < this.idleTimeout || this.call.done) return;
      const reason = new IpcError(
        ErrorCodes.CLOSED,
        `the client of stream "${this.call.method}" sent no credit for ${this.idleTimeout} ms; it is gone or stuck`,
      );
      this.sender.fail(reason, false);
      this.stop(reason);
    }, every);
    this.watch.unref();
  }
}
