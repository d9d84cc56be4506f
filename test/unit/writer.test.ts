import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { SocketLike } from '../../lib/connection/socket-like.ts';
import { FrameWriter } from '../../lib/connection/writer.ts';
import { type Frame, FrameDecoder } from '../../lib/framing/index.ts';
import { Kind } from '../../lib/protocol/index.ts';
import { plain } from '../frames.ts';

/** A byte sink with the SocketLike shape that records each write (the socket side is tested end to end elsewhere). */
class Sink extends EventEmitter {
  writes: Buffer[] = [];
  writableLength = 0;
  destroyed = false;
  write(data: Uint8Array): boolean {
    this.writes.push(Buffer.from(data));
    return true;
  }
  cork(): void {}
  uncork(): void {}
  pause(): void {}
  resume(): void {}
  end(): void {}
  destroy(): void {
    this.destroyed = true;
  }
}

function setup() {
  const sink = new Sink();
  const writer = new FrameWriter(sink as unknown as SocketLike, 1 << 20, {
    writeBackpressure: () => {},
    writeOverflow: () => {},
  });
  const frames = () => {
    const out: Frame[] = [];
    const decoder = new FrameDecoder((f) => out.push(f));
    for (const chunk of sink.writes) decoder.push(chunk);
    return out.map(plain);
  };
  return { sink, writer, frames };
}

const tick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('FrameWriter batching', () => {
  it('writes what a read answered when the read ends, in one write, without waiting for the tick', () => {
    const { sink, writer, frames } = setup();
    writer.beginRead();
    writer.message(Kind.RESPONSE, 1, '', 'one');
    writer.message(Kind.RESPONSE, 2, '', 'two');
    expect(sink.writes).toHaveLength(0);
    writer.endRead();
    expect(sink.writes).toHaveLength(1);
    expect(frames().map((f) => f.id)).toEqual([1, 2]);
  });

  it('batches messages outside a read until the end of the tick', async () => {
    const { sink, writer, frames } = setup();
    writer.message(Kind.NOTIFY, 0, 'a', 1);
    writer.message(Kind.NOTIFY, 0, 'b', 2);
    expect(sink.writes).toHaveLength(0);
    await tick();
    expect(sink.writes).toHaveLength(1);
    expect(frames().map((f) => f.meta)).toEqual(['a', 'b']);
  });

  it('keeps the order of a batch begun before a read and answers added during it', async () => {
    const { sink, writer, frames } = setup();
    writer.message(Kind.NOTIFY, 0, 'before', 1);
    writer.beginRead();
    writer.message(Kind.RESPONSE, 7, '', 'answer');
    writer.endRead();
    expect(sink.writes).toHaveLength(1);
    await tick();
    // The tick flush scheduled before the read finds nothing left to write.
    expect(sink.writes).toHaveLength(1);
    expect(frames().map((f) => f.id)).toEqual([0, 7]);
  });

  it('writes nothing at the end of a read that answered nothing', () => {
    const { sink, writer } = setup();
    writer.beginRead();
    writer.endRead();
    expect(sink.writes).toHaveLength(0);
  });
});

describe('FrameWriter slabs', () => {
  it('writes each batch in one write, also the batches that run past the end of a slab', async () => {
    const { sink, writer, frames } = setup();
    const payload = 'p'.repeat(64);
    // 250 requests of about 90 bytes: a 256-deep pipeline's batch. A 64 KiB slab holds
    // two and a half of them, so the third batch crosses into a new slab.
    let id = 1;
    for (let batch = 0; batch < 8; batch++) {
      writer.beginRead();
      for (let k = 0; k < 250; k++) writer.message(Kind.REQUEST, id++, 'echo', payload);
      writer.endRead();
      expect(sink.writes).toHaveLength(batch + 1);
    }
    await tick();
    const ids = frames().map((f) => f.id);
    expect(ids).toEqual(Array.from({ length: 2000 }, (_, k) => k + 1));
  });

  it('writes the batch first when it and the next frame would not fit in one slab, in order', async () => {
    const { sink, writer, frames } = setup();
    writer.beginRead();
    for (let k = 1; k <= 200; k++) writer.message(Kind.RESPONSE, k, '', 'q'.repeat(100));
    writer.message(Kind.RESPONSE, 201, '', 'z'.repeat(60_000));
    writer.endRead();
    expect(sink.writes).toHaveLength(2);
    const out = frames();
    expect(out.map((f) => f.id)).toEqual(Array.from({ length: 201 }, (_, k) => k + 1));
    await tick();
    expect(sink.writes).toHaveLength(2);
  });
});

describe('FrameWriter batch clock', () => {
  function spin(ms: number): void {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // busy: the clock moves, the synchronous run goes on
    }
  }

  it('reads the clock once per batch, and again once the batch is written', async () => {
    const { writer } = setup();
    writer.message(Kind.REQUEST, 1, 'm', 1);
    const first = writer.batchTime();
    spin(5);
    expect(writer.batchTime()).toBe(first);
    await tick();
    // A fresh reading lies between these two (within 1 ms of Date.now() failed when the process was
    // descheduled between the two lines on a loaded machine).
    const before = Date.now();
    writer.message(Kind.REQUEST, 2, 'm', 2);
    const next = writer.batchTime();
    const after = Date.now();
    expect(next).toBeGreaterThanOrEqual(first + 5);
    expect(next).toBeGreaterThanOrEqual(before);
    expect(next).toBeLessThanOrEqual(after);
  });

  it('keeps no reading when no write is due to end the batch', () => {
    const { writer } = setup();
    const first = writer.batchTime();
    spin(5);
    expect(writer.batchTime()).toBeGreaterThanOrEqual(first + 5);
  });
});
