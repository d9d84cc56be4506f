import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIpcError } from '../../lib/errors.ts';
import { encodeFrame, FrameDecoder, HEADER_SIZE, writeHeader } from '../../lib/framing/index.ts';
import { type Plain, plain } from '../frames.ts';

function decodeAll(chunks: Buffer[], maxFrameBytes?: number): Plain[] {
  const out: Plain[] = [];
  const decoder = new FrameDecoder((f) => out.push(plain(f)), maxFrameBytes ? { maxFrameBytes } : {});
  for (const chunk of chunks) decoder.push(chunk);
  expect(decoder.buffered).toBe(0);
  return out;
}

const samples: Plain[] = [
  { kind: 2, flags: 0, id: 1, meta: 'upper', data: Buffer.from('"hello"') },
  { kind: 3, flags: 2, id: 0xffffffff, meta: '', data: Buffer.alloc(0) },
  { kind: 5, flags: 1, id: 0, meta: 'tick ✓', data: Buffer.from([0, 1, 2, 255]) },
  { kind: 3, flags: 1, id: 7, meta: '', data: Buffer.alloc(300, 9) },
];
const encoded = samples.map((s) => encodeFrame(s.kind, s.flags, s.id, s.meta, s.data));
const stream = Buffer.concat(encoded);

describe('FrameDecoder', () => {
  it('decodes frames split at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(samples);
    }
  });

  it('decodes a stream fed one byte at a time', () => {
    const bytes = [...stream].map((b) => Buffer.from([b]));
    expect(decodeAll(bytes)).toEqual(samples);
  });

  it('decodes many frames coalesced in one chunk', () => {
    const many = Buffer.concat(Array.from({ length: 500 }, () => stream));
    const out = decodeAll([many]);
    expect(out).toHaveLength(2000);
    expect(out[1999]).toEqual(samples[3]);
  });

  it('hands out a frame lying whole in a chunk without copying it', () => {
    let body: Buffer | undefined;
    new FrameDecoder((f) => {
      body = f.body;
    }).push(encoded[0]!);
    expect(body?.buffer).toBe(encoded[0]!.buffer);
  });

  it('rejects a header over the cap before the body arrives', () => {
    const decoder = new FrameDecoder(() => {}, { maxFrameBytes: 1024 });
    const header = Buffer.alloc(HEADER_SIZE);
    writeHeader(header, 0, 3, 1, 1, 0, 1025);
    let error: unknown;
    try {
      decoder.push(header);
    } catch (e) {
      error = e;
    }
    expect(isIpcError(error) && error.code).toBe('ERR_IPC_FRAME_TOO_LARGE');
    // A failed decoder stays failed: the connection is closed, nothing resyncs on garbage.
    expect(() => decoder.push(encoded[0]!)).toThrow(/exceeds maxFrameBytes/);
  });

  it('applies a changed limit from the next header on, naming it in the error', () => {
    const frames: number[] = [];
    const decoder = new FrameDecoder((f) => {
      frames.push(f.end - f.start);
      decoder.setLimit(2048); // as a connection does once the hello is done
    });
    decoder.setLimit(100, 'the limit before the hello');
    decoder.push(
      Buffer.concat([encodeFrame(1, 0, 0, '', '{}'), encodeFrame(2, 1, 1, 'm', Buffer.alloc(1500))]),
    );
    expect(frames).toEqual([2, 1501]);
    const small = new FrameDecoder(() => {});
    small.setLimit(100, 'the limit before the hello');
    expect(() => small.push(encodeFrame(1, 0, 0, '', Buffer.alloc(101)))).toThrow(
      /frame of 101 bytes exceeds the limit before the hello \(100\)/,
    );
  });

  it('lets a reader write a body in place, and refuses more than the body has room for', () => {
    const frame = encodeFrame(3, 1, 4, 'm', Buffer.alloc(1000, 3));
    const out: Plain[] = [];
    const decoder = new FrameDecoder((f) => out.push(plain(f)));
    expect(decoder.bodyRemainder()).toBeUndefined();
    decoder.push(frame.subarray(0, 100));
    const rest = decoder.bodyRemainder()!;
    expect(rest.length).toBe(frame.length - 100);
    expect(() => decoder.bodyWritten(rest.length + 1)).toThrow(RangeError);
    rest.set(frame.subarray(100, 600));
    decoder.bodyWritten(500);
    expect(out).toHaveLength(0);
    decoder.bodyRemainder()!.set(frame.subarray(600));
    decoder.bodyWritten(frame.length - 600);
    expect(out).toEqual([{ kind: 3, flags: 1, id: 4, meta: 'm', data: Buffer.alloc(1000, 3) }]);
    expect(decoder.bodyRemainder()).toBeUndefined();
    expect(decoder.buffered).toBe(0);
  });

  it('accepts a frame exactly at the cap', () => {
    const frame = encodeFrame(3, 1, 1, '', Buffer.alloc(1024, 1));
    expect(decodeAll([frame], 1024)).toHaveLength(1);
  });

  it('rejects a meta length larger than the body', () => {
    const frame = encodeFrame(2, 0, 1, 'abc', '1');
    frame.writeUInt16BE(10, 6);
    expect(() => new FrameDecoder(() => {}).push(frame)).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_BAD_FRAME' }),
    );
  });

  it('round-trips random frame sequences through random chunkings (property)', () => {
    const frameArb = fc.record({
      kind: fc.integer({ min: 0, max: 255 }),
      flags: fc.integer({ min: 0, max: 255 }),
      id: fc.integer({ min: 0, max: 0xffffffff }),
      meta: fc.string({ maxLength: 40 }),
      data: fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 4096 }), { minLength: 1 }),
        (frames, sizes) => {
          const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.kind, f.flags, f.id, f.meta, f.data)));
          const chunks: Buffer[] = [];
          for (let offset = 0, i = 0; offset < bytes.length; i++) {
            const size = sizes[i % sizes.length]!;
            chunks.push(bytes.subarray(offset, offset + size));
            offset += size;
          }
          expect(decodeAll(chunks)).toEqual(frames);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('encodeFrame', () => {
  it('writes the documented 12-byte big-endian header', () => {
    const frame = encodeFrame(2, 0, 0x01020304, 'up', '"x"');
    expect([...frame.subarray(0, HEADER_SIZE)]).toEqual([0, 0, 0, 5, 2, 0, 0, 2, 1, 2, 3, 4]);
    expect(frame.subarray(HEADER_SIZE).toString()).toBe('up"x"');
  });

  it('refuses meta over 65535 bytes', () => {
    expect(() => encodeFrame(2, 0, 1, 'x'.repeat(70_000))).toThrow(RangeError);
  });
});
