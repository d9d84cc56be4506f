/**
 * Reads land in slabs. The first is small (an idle or quiet connection keeps
 * little); a read that fills all the room it was given doubles the next slab,
 * up to this size...
 */
const FIRST_SLAB_BYTES = 4 * 1024;
const MAX_SLAB_BYTES = 256 * 1024;
/**
 * ...and a read always gets half a slab of room, or this much (what Node reads
 * at once into a buffer of its own). With a quarter of a 64 KiB slab, a 23 KB
 * batch of answers the peer wrote at once could arrive in two reads, whose
 * callbacks run one after the other, each answered by a write of its own: a
 * 256-deep pipeline split in two.
 */
const MIN_ROOM_BYTES = 64 * 1024;
/** ...and a body's remainder at least this large is read into directly. */
const MIN_BODY_READ_BYTES = 8 * 1024;
/**
 * Where a read into a body takes all of its remainder (AF_UNIX), a slab read
 * that follows one gets room for the rest of that body and this much more:
 * whatever it reads past that belongs to the next body and would be copied into
 * it. Over TCP, where body reads are capped, the slab's full room saves reads
 * and wins (figures: bench/README.md, "The client's reads").
 */
const AFTER_BODY_ROOM_BYTES = 4 * 1024;
/**
 * Over TCP, a read into a body gets at most this much room (a loopback
 * segment's worth): libuv returns to epoll after any read that does not fill
 * its buffer, so an uncapped read into a 1 MiB body sleeps more often. Over
 * AF_UNIX the whole remainder reads faster (bench/README.md has the figures).
 */
export const TCP_BODY_READ_BYTES = 64 * 1024;

/** Where the bytes go: a Connection. */
export interface ReadTarget {
  onData(chunk: Buffer): void;
  bodyRemainder(): Buffer | undefined;
  bodyWritten(bytes: number): void;
}

/** What Node's `onread` socket option takes (`net.connect({ onread })`). */
export interface OnRead {
  buffer: () => Uint8Array;
  callback: (bytes: number, buffer: Uint8Array) => boolean;
}

/**
 * Reads for a socket the client creates itself, through Node's `onread` option
 * instead of 'data' events: no stream machinery and no new ArrayBuffer per read.
 * While a frame's body is incomplete the socket reads straight into it (a 1 MiB
 * answer is not read in 64 KiB chunks and copied over); otherwise into the free
 * end of a slab, a region of which is never written twice, so the frames handed
 * out as views of it stay valid. (Node offers `onread` only to sockets it does
 * not accept, so a server's connections keep 'data' events.)
 */
export class SocketReads {
  private slab = Buffer.allocUnsafe(0);
  private at = 0;
  private slabBytes = FIRST_SLAB_BYTES;
  /** Whether the last buffer handed to the socket was a body's remainder. */
  private intoBody = false;
  /**
   * Whether the next slab read gets room for no more than AFTER_BODY_ROOM_BYTES
   * past the end of a body: it follows a read into that body, or a short read
   * of that body's last bytes.
   */
  private afterBody = false;
  /** The memory of the body whose last bytes the slab read in flight was given room for, if any... */
  private followsBody: ArrayBufferLike | undefined;
  /** ...and whether its room was cut short for that (so filling it says nothing of the slab size). */
  private cut = false;
  private connection: ReadTarget | undefined;
  /** Bytes read before the connection was attached (a server that talks first). */
  private early: Buffer[] = [];
  /**
   * The most room a read into a body gets (TCP_BODY_READ_BYTES over TCP). Without
   * a limit, a slab read after one is cut short (AFTER_BODY_ROOM_BYTES).
   */
  private bodyReadBytes = Number.POSITIVE_INFINITY;

  readonly onread: OnRead = {
    buffer: () => this.next(),
    callback: (bytes, buffer) => {
      this.done(bytes, buffer);
      return true;
    },
  };

  /** Reads into a body get at most BYTES of room at a time (and slab reads keep theirs after them). */
  limitBodyReads(bytes: number): void {
    this.bodyReadBytes = Math.max(MIN_BODY_READ_BYTES, bytes);
  }

  attach(connection: ReadTarget): void {
    this.connection = connection;
    const early = this.early;
    this.early = [];
    for (const chunk of early) connection.onData(chunk);
  }

  private next(): Uint8Array {
    // A small remainder is read into the slab with what follows it, and copied.
    const body = this.connection?.bodyRemainder();
    if (body !== undefined && body.length >= MIN_BODY_READ_BYTES) {
      this.intoBody = true;
      return body.length > this.bodyReadBytes ? body.subarray(0, this.bodyReadBytes) : body;
    }
    this.intoBody = false;
    // A new slab once less than half of one (or MIN_ROOM_BYTES) is left.
    if (this.slab.length - this.at < Math.min(this.slabBytes >>> 1, MIN_ROOM_BYTES)) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes);
      this.at = 0;
    }
    if (!this.afterBody) {
      this.followsBody = undefined;
      this.cut = false;
      return this.slab.subarray(this.at);
    }
    // After a read into a body: room for the rest of that body (if any is left) and a little more.
    this.afterBody = false;
    this.followsBody = body?.buffer;
    const room = (body?.length ?? 0) + AFTER_BODY_ROOM_BYTES;
    this.cut = this.slab.length - this.at > room;
    return this.cut ? this.slab.subarray(this.at, this.at + room) : this.slab.subarray(this.at);
  }

  private done(bytes: number, buffer: Uint8Array): void {
    if (this.intoBody) {
      this.afterBody = this.bodyReadBytes === Number.POSITIVE_INFINITY;
      this.connection!.bodyWritten(bytes);
      return;
    }
    const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
    this.at += bytes;
    // It filled all the room it had: more was probably waiting.
    if (bytes === buffer.length && !this.cut && this.slabBytes < MAX_SLAB_BYTES) this.slabBytes *= 2;
    if (this.connection === undefined) this.early.push(chunk);
    else this.connection.onData(chunk);
    // A short read of a body's last bytes, which left some of it: the next read is cut short too.
    if (this.followsBody !== undefined && this.connection?.bodyRemainder()?.buffer === this.followsBody) {
      this.afterBody = true;
    }
  }
}
