/**
 * The raw floor's wire format: u32 BE payload length, u32 BE request id, payload.
 * The server echoes each frame unchanged. Kept as small as a hand-written
 * protocol gets, so it measures what `net` itself costs. The C client in bench/c speaks it too.
 */
export const RAW_HEADER = 8;

/** A whole frame in one buffer: what a careful hand-written client sends for small payloads. */
export function rawFrame(id: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(RAW_HEADER + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt32BE(id, 4);
  payload.copy(frame, RAW_HEADER);
  return frame;
}

export function rawHeader(id: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(RAW_HEADER);
  head.writeUInt32BE(length, 0);
  head.writeUInt32BE(id, 4);
  return head;
}

/**
 * Incremental decoder handing out whole frames (header included). A frame
 * inside one chunk is a view of it; a split one is assembled once at its size.
 */
export class RawDecoder {
  private readonly head = Buffer.allocUnsafe(RAW_HEADER);
  private headFilled = 0;
  private partial: Buffer | null = null;
  private filled = 0;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    const end = chunk.length;
    let off = 0;
    while (off < end) {
      if (this.partial !== null) {
        const take = Math.min(this.partial.length - this.filled, end - off);
        chunk.copy(this.partial, this.filled, off, off + take);
        this.filled += take;
        off += take;
        if (this.filled === this.partial.length) {
          const frame = this.partial;
          this.partial = null;
          this.onFrame(frame);
        }
        continue;
      }
      if (this.headFilled === 0 && end - off >= RAW_HEADER) {
        const total = RAW_HEADER + chunk.readUInt32BE(off);
        if (end - off >= total) {
          this.onFrame(chunk.subarray(off, off + total));
          off += total;
          continue;
        }
        this.partial = Buffer.allocUnsafe(total);
        this.filled = 0;
        continue;
      }
      const take = Math.min(RAW_HEADER - this.headFilled, end - off);
      chunk.copy(this.head, this.headFilled, off, off + take);
      this.headFilled += take;
      off += take;
      if (this.headFilled < RAW_HEADER) return;
      this.headFilled = 0;
      this.partial = Buffer.allocUnsafe(RAW_HEADER + this.head.readUInt32BE(0));
      this.head.copy(this.partial, 0);
      this.filled = RAW_HEADER;
    }
  }
}
