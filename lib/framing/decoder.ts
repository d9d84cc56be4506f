import { ErrorCodes, IpcError } from '../errors.ts';
import { DEFAULT_MAX_FRAME_BYTES, type Frame, HEADER_SIZE, u32 } from './frame.ts';

/** A frame as decoded: where its body lies, with no Buffer view made unless asked for. */
class DecodedFrame implements Frame {
  constructor(
    readonly kind: number,
    readonly flags: number,
    readonly id: number,
    readonly metaLength: number,
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
  ) {}

  get body(): Buffer {
    return this.buffer.subarray(this.start, this.end);
  }
}

export interface FrameDecoderOptions {
  /** Largest body (meta + data) accepted; checked on the header, before allocating. @default 64 MiB */
  maxFrameBytes?: number;
  /**
   * A body split across chunks and at most this large is allocated whole when
   * its header arrives (so a reader can read straight into it: bodyRemainder).
   * A larger one is kept as the pieces that arrive, and joined once complete:
   * a header alone, announcing 64 MiB, then costs nothing. @default Infinity
   */
  preallocateBytes?: number;
}

/**
 * Incremental decoder: push chunks in as they arrive, whole frames come out
 * through `onFrame`. No I/O, no timers. A frame that lies whole inside one
 * chunk is handed out as a view of it (no copy); one split across chunks is
 * assembled into a buffer allocated once at its final size (one copy): when
 * its header arrives if it is at most `preallocateBytes`, else from the pieces
 * held as they came, once the last one is in (memory follows the bytes sent,
 * not the bytes announced).
 * After it throws, the decoder is unusable: the caller closes the connection.
 */
export class FrameDecoder {
  private limit: number;
  private limitName = 'maxFrameBytes';
  private readonly onFrame: (frame: Frame) => void;
  /** Assembles a header split across chunks; made the first time one is. */
  private header: Buffer | undefined;
  private headerFilled = 0;
  private body: Buffer | null = null;
  private bodyFilled = 0;
  private readonly preallocateBytes: number;
  /** The pieces of a body larger than preallocateBytes (views of the chunks they came in), and its length. */
  private pieces: Buffer[] | null = null;
  private piecesLength = 0;
  private kind = 0;
  private flags = 0;
  private id = 0;
  private metaLength = 0;
  private failed: IpcError | null = null;

  constructor(onFrame: (frame: Frame) => void, options: FrameDecoderOptions = {}) {
    this.onFrame = onFrame;
    this.limit = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.preallocateBytes = options.preallocateBytes ?? Number.POSITIVE_INFINITY;
  }

  /** The largest body accepted in the headers still to come. */
  get maxFrameBytes(): number {
    return this.limit;
  }

  /**
   * Changes the body limit for the headers still to come; `name` is what the
   * error calls it. A connection holds frames to a small limit until the hello
   * is done, so an unauthenticated peer cannot make it allocate a large body.
   */
  setLimit(maxFrameBytes: number, name = 'maxFrameBytes'): void {
    this.limit = maxFrameBytes;
    this.limitName = name;
  }

  /** Bytes of a partial frame held right now (0 between frames); a preallocated body counts whole. */
  get buffered(): number {
    if (this.pieces !== null) return HEADER_SIZE + this.bodyFilled;
    return this.body === null ? this.headerFilled : HEADER_SIZE + this.body.length;
  }

  /**
   * The rest of the body being assembled, when a frame's header has arrived
   * but not all of its body: a reader can have the socket read straight into
   * it (then call bodyWritten) instead of reading elsewhere and pushing a copy.
   */
  bodyRemainder(): Buffer | undefined {
    return this.body === null || this.pieces !== null ? undefined : this.body.subarray(this.bodyFilled);
  }

  /** `bytes` were written at the start of the last bodyRemainder(). */
  bodyWritten(bytes: number): void {
    if (this.failed) throw this.failed;
    const body = this.body;
    if (body === null || this.pieces !== null || bytes > body.length - this.bodyFilled) {
      throw new RangeError('no room for that body');
    }
    this.filled(body, bytes);
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      if (this.pieces !== null) {
        const take = Math.min(this.piecesLength - this.bodyFilled, end - offset);
        this.pieces.push(chunk.subarray(offset, offset + take));
        offset += take;
        this.bodyFilled += take;
        if (this.bodyFilled === this.piecesLength) this.joinPieces();
        continue;
      }
      if (this.body !== null) {
        const need = this.body.length - this.bodyFilled;
        const take = Math.min(need, end - offset);
        chunk.copy(this.body, this.bodyFilled, offset, offset + take);
        offset += take;
        this.filled(this.body, take);
        continue;
      }
      let bodyLength: number;
      if (this.headerFilled === 0 && end - offset >= HEADER_SIZE) {
        bodyLength = this.readHeader(chunk, offset);
        offset += HEADER_SIZE;
      } else {
        const take = Math.min(HEADER_SIZE - this.headerFilled, end - offset);
        this.header ??= Buffer.allocUnsafe(HEADER_SIZE);
        chunk.copy(this.header, this.headerFilled, offset, offset + take);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < HEADER_SIZE) return;
        this.headerFilled = 0;
        bodyLength = this.readHeader(this.header, 0);
      }
      if (end - offset >= bodyLength) {
        offset += bodyLength;
        this.emit(chunk, offset - bodyLength, offset);
      } else if (bodyLength > this.preallocateBytes) {
        this.pieces = [];
        this.piecesLength = bodyLength;
        this.bodyFilled = 0;
      } else {
        this.body = Buffer.allocUnsafe(bodyLength);
        this.bodyFilled = 0;
      }
    }
  }

  private readHeader(source: Buffer, at: number): number {
    const bodyLength = u32(source, at);
    if (bodyLength > this.limit) {
      throw this.fail(
        new IpcError(
          ErrorCodes.FRAME_TOO_LARGE,
          `frame of ${bodyLength} bytes exceeds ${this.limitName} (${this.limit})`,
        ),
      );
    }
    const metaLength = (source[at + 6]! << 8) | source[at + 7]!;
    if (metaLength > bodyLength) {
      throw this.fail(
        new IpcError(
          ErrorCodes.BAD_FRAME,
          `frame meta length ${metaLength} exceeds body length ${bodyLength}`,
        ),
      );
    }
    this.kind = source[at + 4]!;
    this.flags = source[at + 5]!;
    this.metaLength = metaLength;
    this.id = u32(source, at + 8);
    return bodyLength;
  }

  /** `bytes` more of BODY are in place; emits the frame once it is whole. */
  private filled(body: Buffer, bytes: number): void {
    this.bodyFilled += bytes;
    if (this.bodyFilled < body.length) return;
    this.body = null;
    this.bodyFilled = 0;
    this.emit(body, 0, body.length);
  }

  private joinPieces(): void {
    const body = Buffer.concat(this.pieces!, this.piecesLength);
    this.pieces = null;
    this.bodyFilled = 0;
    this.emit(body, 0, body.length);
  }

  private emit(buffer: Buffer, start: number, end: number): void {
    this.onFrame(new DecodedFrame(this.kind, this.flags, this.id, this.metaLength, buffer, start, end));
  }

  private fail(error: IpcError): IpcError {
    this.failed = error;
    return error;
  }
}
