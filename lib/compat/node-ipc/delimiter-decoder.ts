import { ErrorCodes, IpcError } from '../../errors.ts';

export interface DelimiterDecoderOptions {
  /** Largest message (without its delimiter) accepted, in bytes; checked as bytes arrive. */
  maxMessageBytes: number;
}

/**
 * node-ipc's framing, decoded incrementally: messages end with a delimiter
 * (`"\f"` by default). Push chunks in as they arrive; each message comes out
 * through `onMessage` the moment its delimiter arrives, however the bytes
 * were split (node-ipc 9.x/10.x held messages back until a read happened to
 * end on the delimiter). Linear time: each byte is searched once, and a
 * message split across chunks is copied once, when it is complete (node-ipc
 * 14 joins and rescans the whole pending string on every chunk).
 *
 * Works on bytes: a UTF-8 delimiter cannot appear inside another character's
 * encoding, so no decoding is needed to find it. No I/O, no timers. A message
 * that lies whole in one chunk is handed out as a view of it (no copy).
 * After it throws (a message over the cap), the decoder is unusable.
 */
export class DelimiterDecoder {
  private readonly delimiter: Buffer;
  private readonly maxMessageBytes: number;
  private readonly onMessage: (message: Buffer) => void;
  /** Bytes of the message being assembled (no delimiter among them). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The chunk being worked through; kept here so a throwing onMessage loses nothing. */
  private chunk: Buffer | undefined;
  private offset = 0;
  private failed: IpcError | undefined;

  constructor(
    delimiter: string | Buffer,
    onMessage: (message: Buffer) => void,
    options: DelimiterDecoderOptions,
  ) {
    this.delimiter = typeof delimiter === 'string' ? Buffer.from(delimiter, 'utf8') : delimiter;
    if (this.delimiter.length === 0) throw new RangeError('the delimiter must not be empty');
    this.onMessage = onMessage;
    this.maxMessageBytes = options.maxMessageBytes;
  }

  /** The error that made it unusable, if one did. */
  get error(): IpcError | undefined {
    return this.failed;
  }

  /** Bytes of an incomplete message held right now (0 between messages). */
  get buffered(): number {
    return this.pendingBytes + (this.chunk === undefined ? 0 : this.chunk.length - this.offset);
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (this.chunk !== undefined) {
      // onMessage threw during the last push: the rest of that chunk comes first.
      this.drain();
    }
    if (chunk.length === 0) return;
    this.chunk = chunk;
    this.offset = 0;
    this.drain();
  }

  private drain(): void {
    const chunk = this.chunk!;
    const delimiter = this.delimiter;
    if (this.pendingBytes > 0 && delimiter.length > 1 && this.offset === 0) {
      const across = this.acrossBoundary(chunk);
      if (across !== undefined) {
        const message = this.takePending(across.length);
        this.offset = across.next;
        if (this.offset >= chunk.length) this.chunk = undefined;
        this.deliver(message);
      }
    }
    while (this.chunk !== undefined) {
      const start = this.offset;
      const end = chunk.indexOf(delimiter, start);
      if (end === -1) {
        this.chunk = undefined;
        this.keep(chunk.subarray(start));
        return;
      }
      this.offset = end + delimiter.length;
      if (this.offset >= chunk.length) this.chunk = undefined;
      let message: Buffer;
      if (this.pendingBytes === 0) {
        message = chunk.subarray(start, end);
      } else {
        this.keep(chunk.subarray(start, end));
        message = this.takePending(this.pendingBytes);
      }
      this.deliver(message);
    }
  }

  /**
   * A delimiter of several bytes may begin in the pending bytes and end in
   * the new chunk: if so, the message's length and where the chunk goes on.
   */
  private acrossBoundary(chunk: Buffer): { length: number; next: number } | undefined {
    const d = this.delimiter.length;
    const tail = this.tail(d - 1);
    const at = Buffer.concat([tail, chunk.subarray(0, d - 1)]).indexOf(this.delimiter);
    // The pending bytes hold no whole delimiter, so any match here spans the boundary.
    if (at === -1) return undefined;
    return { length: this.pendingBytes - tail.length + at, next: at + d - tail.length };
  }

  /** The last `n` pending bytes (fewer if fewer are pending). */
  private tail(n: number): Buffer {
    const parts: Buffer[] = [];
    let need = Math.min(n, this.pendingBytes);
    for (let i = this.pending.length - 1; i >= 0 && need > 0; i--) {
      const part = this.pending[i]!;
      const take = Math.min(need, part.length);
      parts.unshift(part.subarray(part.length - take));
      need -= take;
    }
    return Buffer.concat(parts);
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pendingBytes += bytes.length;
    // Checked as bytes arrive: a peer cannot make us hold more than the cap.
    if (this.pendingBytes > this.maxMessageBytes + this.delimiter.length - 1) this.tooLarge();
    this.pending.push(bytes);
  }

  /** The first `length` pending bytes as one buffer; the pending bytes are cleared. */
  private takePending(length: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return all.subarray(0, length);
  }

  private deliver(message: Buffer): void {
    if (message.length > this.maxMessageBytes) this.tooLarge();
    this.onMessage(message);
  }

  private tooLarge(): never {
    this.failed = new IpcError(
      ErrorCodes.FRAME_TOO_LARGE,
      `a message is larger than maxMessageSize (${this.maxMessageBytes} bytes)`,
    );
    this.pending = [];
    this.pendingBytes = 0;
    this.chunk = undefined;
    throw this.failed;
  }
}
