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
 * that follows one gets room for the rest of that body, if any is left, and
 * this much more. It reaches into the next frame, and when large frames come one
 * after another (1 MiB answers) nearly all of what it reads there belongs to that
 * frame's body: read into a slab, it is copied into the body once the header is
 * decoded. With a slab's room that read took 214 KiB of each 1 MiB answer (all
 * the peer had written by then), a fifth of every body copied; cut short, 4 KiB.
 * In interleaved runs that took 2-7% off the client's CPU time per answer, and
 * MiB/s moved by -2% to +8%, within this VM's noise. Reads get full room again
 * once no body is left unfinished. Over TCP, where a read into a body gets at
 * most TCP_BODY_READ_BYTES, the slab's 256 KiB take fewer reads, which made up
 * for the copy: cut short, 3-5% fewer MiB/s in three of four cells, so TCP
 * reads keep their room.
 */
const AFTER_BODY_ROOM_BYTES = 4 * 1024;
/**
 * Over TCP, a read into a body gets at most this much room: a loopback segment's
 * worth. libuv goes back to epoll after any read that did not fill its buffer,
 * and a read with the whole remainder of a 1 MiB body as room never fills it:
 * across CPUs the client slept 3.1-4.4 times per 1 MiB answer instead of
 * 2.4-3.2, and made 930-1,190 MiB/s where capped reads made 965-1,340 (the
 * same runs, interleaved). Over AF_UNIX the whole remainder reads faster (1,720-1,850
 * MiB/s against 1,640-1,730 capped), so it keeps it.
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
