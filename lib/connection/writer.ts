import type { Encoded } from '../protocol/index.ts';
import type { Channel } from './channel.ts';

function uncork(writer: FrameWriter): void {
  writer.flush();
}

/**
 * The write side of a connection. Every frame written in one tick goes out
 * in one syscall (cork now, uncork on nextTick: worth 2-5x when pipelining);
 * a large byte payload is written as its own buffer, never copied. Reports
 * backpressure, and overflow past `maxQueuedBytes` (a peer that does not read).
 */
export class FrameWriter {
  private corked = false;
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly channel: Channel,
    private readonly maxQueuedBytes: number,
    private readonly onBackpressure: (on: boolean) => void,
    private readonly onOverflow: () => void,
  ) {
    channel.on('drain', () => this.drained());
  }

  get queuedBytes(): number {
    return this.channel.writableLength;
  }

  /** False while the socket is backed up (the frame is queued all the same) or gone. */
  send(frame: Encoded): boolean {
    if (this.channel.destroyed) return false;
    if (!this.corked) {
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
    if (ok) return true;
    if (!this.needDrain) {
      this.needDrain = true;
      this.onBackpressure(true);
    }
    if (this.channel.writableLength > this.maxQueuedBytes) {
      this.onOverflow();
      return false;
    }
    return false;
  }

  flush(): void {
    if (this.corked) {
      this.corked = false;
      this.channel.uncork();
    }
  }

  /** Resolves when the socket can take more (immediately if it can now). */
  waitDrain(): Promise<void> {
    if (!this.needDrain || this.channel.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Also called on close, so nobody waits for a drain that will never come. */
  drained(): void {
    if (this.needDrain) {
      this.needDrain = false;
      this.onBackpressure(false);
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
