import { byteLength, HEADER_SIZE, writeFrame } from '../framing/index.ts';
import { type Encoded, Encoding, prepareValue, SEPARATE_WRITE_BYTES } from '../protocol/index.ts';
import type { SocketLike } from './socket-like.ts';

/**
 * Frames are encoded straight into slabs. The first is small and comes from
 * Node's shared buffer pool (most connections write little: an idle one keeps
 * a quarter KiB of a pool, room for its hello and a small answer or two); each
 * next one doubles, up to this size...
 */
const FIRST_SLAB_BYTES = 256;
const SLAB_BYTES = 64 * 1024;
/** ...and a batch this large is written at once instead of waiting for the end of the tick. */
const FLUSH_BYTES = 32 * 1024;

/** What the writer tells its connection (methods, not closures: an idle connection stays small). */
export interface WriterHost {
  /**
   * The socket is backed up (true: after each write it did not take at once,
   * with the bytes now waiting) or has drained (false).
   */
  writeBackpressure(on: boolean, queuedBytes: number): void;
  /** More than maxQueuedBytes wait to be written: the peer does not read. */
  writeOverflow(): void;
}

function flushOnTick(writer: FrameWriter): void {
  writer.flush();
}

/**
 * The write side of a connection. Small frames are encoded straight into a
 * slab, and everything written in one tick leaves in one write (one syscall,
 * one contiguous buffer: no per-frame buffer, no per-frame stream bookkeeping).
 * A large byte payload is written as its own buffer, never copied. A slab
 * region handed to the socket is never written again; a full slab is replaced
 * (what was not yet written moves along).
 * Reports backpressure, and overflow past `maxQueuedBytes` (a peer that does not read).
 */
export class FrameWriter {
  private slab = Buffer.allocUnsafe(FIRST_SLAB_BYTES);
  /** The batch not yet handed to the socket: slab[start, end). */
  private start = 0;
  private end = 0;
  private scheduled = false;
  /** A read is being decoded: what it answers leaves when endRead() is called, not at the end of the tick. */
  private reading = false;
  /** Date.now() as read for the batch not yet written, or -1. */
  private batchClock = -1;
  private needDrain = false;
  private drainWaiters: Array<() => void> = [];
  /** The last meta string and its byte length: the same method or event name comes again and again. */
  private lastMeta = '';
  private lastMetaLength = 0;

  constructor(
    private readonly channel: SocketLike,
    private readonly maxQueuedBytes: number,
    private readonly host: WriterHost,
  ) {
    channel.on('drain', () => this.drained());
  }

  /** Bytes written but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.channel.writableLength + this.end - this.start;
  }

  /**
   * Encodes and queues one message. Returns its body size (meta + data), or
   * -1 without writing anything if that is over `maxBody` (> 0). Throws
   * TypeError for a value JSON cannot carry, also without writing anything.
   */
  message(kind: number, id: number, meta: string, value: unknown, maxBody = 0): number {
    const out = prepareValue(value);
    let metaLength = this.lastMetaLength;
    if (meta !== this.lastMeta) {
      metaLength = byteLength(meta);
      this.lastMeta = meta;
      this.lastMetaLength = metaLength;
    }
    const body = metaLength + out.dataLength;
    if (maxBody > 0 && body > maxBody) return -1;
    if (this.channel.destroyed) return body;
    if (out.flags === Encoding.BYTES && out.dataLength >= SEPARATE_WRITE_BYTES) {
      const at = this.reserve(HEADER_SIZE + metaLength);
      this.end = writeFrame(this.slab, at, kind, out.flags, id, meta, metaLength, undefined, out.dataLength);
      this.writeAlongside(out.data as Uint8Array);
    } else {
      const at = this.reserve(HEADER_SIZE + body);
      this.end = writeFrame(this.slab, at, kind, out.flags, id, meta, metaLength, out.data, out.dataLength);
      this.queued();
    }
    return body;
  }

  /** Queues an already encoded frame (a broadcast encodes once for every peer). */
  send(frame: Encoded): boolean {
    if (this.channel.destroyed) return false;
    const [head, payload] = Buffer.isBuffer(frame) ? [frame, undefined] : frame;
    if (head.length >= SEPARATE_WRITE_BYTES) {
      this.writeAlongside(head);
    } else {
      const at = this.reserve(head.length);
      head.copy(this.slab, at);
      this.end = at + head.length;
      this.queued();
    }
    if (payload !== undefined) this.writeAlongside(payload);
    return !this.needDrain;
  }

  /**
   * Brackets the decoding of one read. The answers its frames get at once
   * (synchronous handlers, pongs) leave in one write when it ends, without
   * waiting for the end of the tick; answers that come later are batched per tick.
   */
  beginRead(): void {
    this.reading = true;
  }

  endRead(): void {
    this.reading = false;
    this.batchClock = -1;
    if (this.end !== this.start) this.flush();
  }

  /**
   * Date.now(), read once per batch: the requests that leave in one write share
   * one reading (a deadline is early by at most the time the batch took to
   * fill), because reading the clock per request is a measurable part of a
   * pipelining client's work. Kept only while a write is due to end the batch.
   */
  batchTime(): number {
    if (this.batchClock >= 0) return this.batchClock;
    const now = Date.now();
    if (this.scheduled || this.reading) this.batchClock = now;
    return now;
  }

  /** True while the socket can take more without queueing in memory. */
  get ready(): boolean {
    return !this.needDrain;
  }

  /** Hands the batch to the socket now. */
  flush(): void {
    this.scheduled = false;
    this.batchClock = -1;
    if (this.end === this.start || this.channel.destroyed) return;
    const batch = this.slab.subarray(this.start, this.end);
    this.start = this.end;
    this.afterWrite(this.channel.write(batch));
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
      this.host.writeBackpressure(false, 0);
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Room for `bytes` at the end of the batch; returns where to write them. A
   * full slab is replaced, and the batch so far moves to the new one, so that it
   * still leaves in one write: split in two, a peer on the same CPU can wake for
   * the first part alone.
   */
  private reserve(bytes: number): number {
    if (this.end + bytes <= this.slab.length) return this.end;
    let pending = this.end - this.start;
    if (pending > 0 && pending + bytes > SLAB_BYTES) {
      this.flush();
      pending = 0;
    }
    const slab = Buffer.allocUnsafeSlow(
      Math.max(Math.min(this.slab.length * 2, SLAB_BYTES), pending + bytes),
    );
    if (pending > 0) this.slab.copy(slab, 0, this.start, this.end);
    this.slab = slab;
    this.start = 0;
    this.end = pending;
    return pending;
  }

  private queued(): void {
    if (this.end - this.start >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled && !this.reading) {
      this.scheduled = true;
      process.nextTick(flushOnTick, this);
    }
  }

  /** The batch so far, then a large buffer of its own, in one writev. */
  private writeAlongside(data: Uint8Array): void {
    this.channel.cork();
    this.flush();
    const ok = this.channel.write(data);
    this.channel.uncork();
    this.afterWrite(ok);
  }

  private afterWrite(ok: boolean): void {
    if (ok) return;
    this.needDrain = true;
    const queued = this.channel.writableLength;
    this.host.writeBackpressure(true, queued);
    if (queued > this.maxQueuedBytes) this.host.writeOverflow();
  }
}
