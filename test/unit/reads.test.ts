import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeFrame, type Frame, FrameDecoder } from '../../lib/framing/index.ts';
import { SocketReads, TCP_BODY_READ_BYTES } from '../../lib/transport/reads.ts';
import { type Plain, plain } from '../frames.ts';

/**
 * Plays a socket using Node's `onread` contract: before each read it asks for a
 * buffer, writes at most that many bytes at its start, then calls back with
 * the count and the same buffer.
 */
/** How many bytes each read takes: in turn from a list, or as a function of the stream offset and the room. */
type ReadSizes = number[] | ((at: number, room: number) => number);

function playSocket(reads: SocketReads, stream: Buffer, readSizes: ReadSizes): Uint8Array[] {
  const given: Uint8Array[] = [];
  let at = 0;
  let turn = 0;
  while (at < stream.length) {
    const target = reads.onread.buffer();
    if (target.length === 0) throw new Error('an empty read buffer');
    given.push(target);
    const want =
      typeof readSizes === 'function' ? readSizes(at, target.length) : readSizes[turn++ % readSizes.length]!;
    const n = Math.min(want, target.length, stream.length - at);
    target.set(stream.subarray(at, at + n), 0);
    at += n;
    if (reads.onread.callback(n, target) !== true) throw new Error('the callback paused the socket');
  }
  return given;
}

/** A connection stand-in: the decoder behind it, and every frame it emitted, kept as the views it got. */
function target() {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder((f) => frames.push(f));
  return {
    frames,
    decoder,
    onData: (chunk: Buffer) => decoder.push(chunk),
    bodyRemainder: () => decoder.bodyRemainder(),
    bodyWritten: (bytes: number) => decoder.bodyWritten(bytes),
  };
}

const frameArb = fc
  .record({
    kind: fc.integer({ min: 1, max: 10 }),
    id: fc.nat(),
    meta: fc.string({ maxLength: 8 }),
    size: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 70_000 }) },
    ),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(
    ({ kind, id, meta, size, fill }) =>
      ({ kind, flags: 1, id, meta, data: Buffer.alloc(size, fill) }) as Plain,
  );

describe('SocketReads (onread)', () => {
  it('yields the same frames as pushed chunks, in any read sizes, and never overwrites a frame it handed out', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 20 }),
        // Reads of a few bytes up to more than a slab (bounded below: the loop is per read).
        fc.array(fc.oneof(fc.integer({ min: 5, max: 100 }), fc.integer({ min: 1_000, max: 200_000 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.constantFrom(0, 8 * 1024, TCP_BODY_READ_BYTES),
        (frames, readSizes, limit) => {
          const stream = Buffer.concat(frames.map((f) => encodeFrame(f.kind, f.flags, f.id, f.meta, f.data)));
          const reads = new SocketReads();
          if (limit > 0) reads.limitBodyReads(limit);
          const conn = target();
          reads.attach(conn);
          playSocket(reads, stream, readSizes);
          expect(conn.decoder.buffered).toBe(0);
          // Compared only now: a slab region written twice would have changed an earlier frame's view.
          // (Buffer.equals, not toEqual: a deep compare of megabytes is slow.)
          const got = conn.frames.map(plain);
          expect(got.map(({ data, ...rest }) => ({ ...rest, size: data.length }))).toEqual(
            frames.map(({ data, ...rest }) => ({ ...rest, size: data.length })),
          );
          for (const [i, frame] of got.entries()) {
            if (!frame.data.equals(frames[i]!.data)) throw new Error(`frame ${i}: its data changed`);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads a large body in place: the socket writes into the frame buffer itself', () => {
    const data = Buffer.alloc(300_000, 5);
    const stream = encodeFrame(3, 1, 1, '', data);
    const reads = new SocketReads();
    const conn = target();
    reads.attach(conn);
    const targets = playSocket(reads, stream, [64 * 1024]);
    expect(conn.frames).toHaveLength(1);
    const body = conn.frames[0]!.buffer;
    // After the first read (header and the start of the body, into a slab), every read but the
    // last small one landed in the body buffer.
    const inBody = targets.filter((t) => t.buffer === body.buffer);
    expect(inBody.length).toBeGreaterThanOrEqual(Math.floor(stream.length / (64 * 1024)) - 1);
    expect(conn.frames[0]!.body.equals(data)).toBe(true);
  });

  it('over TCP, gives a read into a body at most a segment of room; over AF_UNIX, the whole remainder', () => {
    const data = Buffer.alloc(1 << 20, 7);
    const stream = encodeFrame(3, 1, 1, '', data);
    const rooms = (limit: boolean): number[] => {
      const reads = new SocketReads();
      if (limit) reads.limitBodyReads(TCP_BODY_READ_BYTES);
      const conn = target();
      reads.attach(conn);
      // Each read takes all the room it gets, as from a socket with everything queued.
      const given = playSocket(reads, stream, [Number.MAX_SAFE_INTEGER]);
      expect(conn.frames).toHaveLength(1);
      expect(conn.frames[0]!.body.equals(data)).toBe(true);
      // The first read lands in a slab: the header is not known yet.
      return given.slice(1).map((buffer) => buffer.length);
    };
    const capped = rooms(true);
    expect(Math.max(...capped)).toBe(TCP_BODY_READ_BYTES);
    expect(capped.length).toBeGreaterThanOrEqual(15);
    const whole = rooms(false);
    expect(whole).toHaveLength(1);
    expect(whole[0]).toBeGreaterThan(1_000_000);
  });

  /** Small frames read greedily: the slabs of READS grow to 256 KiB. */
  function growSlabs(reads: SocketReads): void {
    playSocket(reads, Buffer.concat(Array.from({ length: 8_000 }, () => encodeFrame(3, 1, 1, '', 'x'))), [
      Number.MAX_SAFE_INTEGER,
    ]);
  }

  /**
   * Grows the slabs, then plays 8 frames of 1 MiB with READSIZES, checks them, and returns the
   * size of every slab read among those but the first (that one had a slab's room: nothing said
   * a large frame was coming).
   */
  function slabReadsAfterLargeFrames(readSizes: ReadSizes, limit?: number): number[] {
    const count = 8;
    const bodies = Array.from({ length: count }, (_, i) => Buffer.alloc(1 << 20, i));
    const stream = Buffer.concat(bodies.map((body, i) => encodeFrame(3, 1, i + 1, '', body)));
    const reads = new SocketReads();
    if (limit !== undefined) reads.limitBodyReads(limit);
    const conn = target();
    const slabReads: number[] = [];
    reads.attach({
      ...conn,
      onData: (chunk) => {
        slabReads.push(chunk.length);
        conn.onData(chunk);
      },
    });
    growSlabs(reads);
    slabReads.length = 0;
    conn.frames.length = 0;
    playSocket(reads, stream, readSizes);
    expect(conn.frames.map((f) => f.id)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    for (const [i, frame] of conn.frames.entries()) expect(frame.body.equals(bodies[i]!)).toBe(true);
    return slabReads.slice(1);
  }

  it('reads little more than the next header into a slab after a body, so large frames in a row are not copied', () => {
    const frameBytes = encodeFrame(3, 1, 1, '', Buffer.alloc(1 << 20)).length;
    // Reads that stop 5,000 bytes short of each frame's end, then read 2,000 of those into a
    // slab, then all they can.
    const shortOfEnds = (at: number, room: number): number => {
      const toEnd = frameBytes - (at % frameBytes);
      if (toEnd > 5_000) return Math.min(room, toEnd - 5_000);
      return toEnd === 5_000 ? 2_000 : room;
    };
    // And greedy reads (all the room they get, as from a socket with everything queued).
    const patterns: [string, ReadSizes][] = [
      ['greedy', [Number.MAX_SAFE_INTEGER]],
      ['100,000 at a time', [100_000]],
      ['short of ends', shortOfEnds],
    ];
    for (const [name, readSizes] of patterns) {
      const slabReads = slabReadsAfterLargeFrames(readSizes);
      // Each holds a frame's header and the start of its body (4 KiB in all), or a body's last
      // few KiB (less than 8) and 4 KiB more. With a slab's room: up to 256 KiB.
      expect(Math.max(...slabReads), name).toBeLessThanOrEqual(12 * 1024);
      expect(
        slabReads.reduce((a, b) => a + b, 0),
        name,
      ).toBeLessThanOrEqual(8 * 12 * 1024);
    }
  });

  it('over TCP, where reads into a body are limited, keeps a slab read after one its room', () => {
    // Fewer reads (a slab's 256 KiB against four of 64 KiB) made up for the copy (bench/README).
    const slabReads = slabReadsAfterLargeFrames([Number.MAX_SAFE_INTEGER], TCP_BODY_READ_BYTES);
    // One per frame after the first starts it, with a slab's room (others hold a body's last bytes).
    expect(slabReads.filter((n) => n >= 64 * 1024)).toHaveLength(7);
  });

  it('gives reads their full room back once the frames after a large one are small', () => {
    const reads = new SocketReads();
    const conn = target();
    reads.attach(conn);
    growSlabs(reads);
    conn.frames.length = 0;
    // A large frame, then 5 KB frames: a read cut short after the large body ends mid-frame,
    // and the reads after it must not stay cut short (each would hold a frame or two).
    const stream = Buffer.concat([
      encodeFrame(3, 1, 1, '', Buffer.alloc(1 << 20)),
      ...Array.from({ length: 400 }, (_, i) => encodeFrame(3, 1, i + 2, '', Buffer.alloc(5_000, 1))),
    ]);
    const given = playSocket(reads, stream, [Number.MAX_SAFE_INTEGER]);
    expect(conn.frames).toHaveLength(401);
    const body = conn.frames[0]!.buffer.buffer;
    const after = given.slice(given.findLastIndex((g) => g.buffer === body) + 1).map((g) => g.length);
    // The read right after the body is cut short; the ones after it have a slab's room again.
    expect(after[0]).toBeLessThanOrEqual(4 * 1024);
    expect(Math.min(...after.slice(1, -1))).toBeGreaterThanOrEqual(64 * 1024);
    expect(after.length).toBeLessThan(40);
  });

  it('keeps slabs small for small reads, and grows them up to 256 KiB when reads fill them', () => {
    const frames = Buffer.concat(
      Array.from({ length: 4_000 }, (_, i) => encodeFrame(3, 1, i + 1, '', Buffer.alloc(60))),
    );
    const sizes = (readBytes: number): number[] => {
      const reads = new SocketReads();
      reads.attach(target());
      return playSocket(reads, frames, [readBytes]).map((buffer) => buffer.buffer.byteLength);
    };
    expect(Math.max(...sizes(72))).toBe(4 * 1024); // one 72-byte answer per read: no growth
    const greedy = sizes(1 << 20); // every read takes all the room it gets
    expect(Math.max(...greedy)).toBe(256 * 1024);
    expect(greedy[0]).toBe(4 * 1024);
  });

  it('gives each read room for a 256-deep batch of answers, so that the batch is not read in two', () => {
    const reads = new SocketReads();
    const conn = target();
    reads.attach(conn);
    const answer = (id: number) => encodeFrame(3, 1, id, '', Buffer.alloc(64, 0x61));
    let id = 1;
    // Warm-up: reads that fill their room grow the slabs.
    playSocket(reads, Buffer.concat(Array.from({ length: 8_000 }, () => answer(id++))), [1 << 20]);
    // Then 40 batches of 256 answers (about 20 KiB each), each written by the peer at once:
    // every one must fit in the room of a single read.
    const rooms: number[] = [];
    for (let batch = 0; batch < 40; batch++) {
      const bytes = Buffer.concat(Array.from({ length: 256 }, () => answer(id++)));
      const buffer = reads.onread.buffer();
      rooms.push(buffer.length);
      const n = Math.min(buffer.length, bytes.length);
      buffer.set(bytes.subarray(0, n));
      reads.onread.callback(n, buffer);
      if (n < bytes.length) playSocket(reads, bytes.subarray(n), [1 << 20]);
    }
    expect(Math.min(...rooms)).toBeGreaterThanOrEqual(64 * 1024);
    expect(conn.frames).toHaveLength(id - 1);
    expect(conn.frames.at(-1)!.id).toBe(id - 1);
  });

  it('holds what arrives before the connection is attached, and hands it over in order', () => {
    const stream = Buffer.concat([encodeFrame(1, 0, 0, '', '{}'), encodeFrame(5, 0, 0, 'hi', '1')]);
    const reads = new SocketReads();
    playSocket(reads, stream, [7, 100]);
    const conn = target();
    reads.attach(conn);
    expect(conn.frames.map((f) => f.kind)).toEqual([1, 5]);
  });
});
