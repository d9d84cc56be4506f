import { describe, expect, it } from 'vitest';
import type { Connection } from '../../lib/connection/connection.ts';
import { Outgoing } from '../../lib/connection/outgoing.ts';
import type { Frame } from '../../lib/framing/index.ts';
import { Kind } from '../../lib/protocol/index.ts';

/** A RESPONSE frame for request ID, as the decoder hands it out. */
function response(id: number, value: unknown): Frame {
  const buffer = Buffer.from(JSON.stringify(value));
  return {
    kind: Kind.RESPONSE,
    flags: 0,
    id,
    metaLength: 0,
    buffer,
    start: 0,
    end: buffer.length,
    body: buffer,
  };
}

/** A connection stand-in that records the frames the bookkeeping writes (sockets are tested end to end elsewhere). */
function setup() {
  const frames: Array<{ kind: number; id: number }> = [];
  const connection = {
    id: 1,
    writable: true,
    closing: false,
    ready: true,
    send: () => true,
    message: (kind: number, id: number) => {
      frames.push({ kind, id });
      return 0;
    },
    batchTime: () => Date.now(),
    waitDrain: () => Promise.resolve(),
    setReadPause: () => {},
    checkIdle: () => {},
    inputChanged: () => {},
  } as unknown as Connection;
  // No default timeout: nothing here waits on a timer.
  const outgoing = new Outgoing(connection, 0);
  const requestIds = () => frames.filter((f) => f.kind === Kind.REQUEST).map((f) => f.id);
  return { outgoing, frames, requestIds };
}

const MAX_ID = 0xffffffff;

describe('Outgoing request ids', () => {
  it('counts up from 1, and reuses an answered id only after wrapping around', () => {
    const { outgoing, requestIds } = setup();
    const answered = outgoing.start('a', undefined, undefined, false, 0);
    outgoing.answer(response(1, 'done'));
    outgoing.start('b', undefined, undefined, false, 0);
    outgoing.start('c', undefined, undefined, false, 0);
    expect(requestIds()).toEqual([1, 2, 3]);
    return expect(answered).resolves.toBe('done');
  });

  it('after wrapping past the largest id, skips ids still pending or cancelled', async () => {
    const { outgoing, requestIds } = setup();
    // Ids 1 and 2 stay pending; 3 is cancelled (its final frame not yet in); 4 was answered.
    const pending1 = outgoing.start('p', undefined, undefined, false, 0);
    const pending2 = outgoing.start('p', undefined, undefined, false, 0);
    const controller = new AbortController();
    const cancelled = outgoing.start('c', undefined, { signal: controller.signal }, false, 0);
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ERR_IPC_ABORTED' });
    const answered = outgoing.start('a', undefined, undefined, false, 0);
    outgoing.answer(response(4, 1));
    await answered;
    (outgoing as unknown as { nextId: number }).nextId = MAX_ID - 1;
    const wrapped = Array.from({ length: 4 }, () => outgoing.start('w', undefined, undefined, false, 0));
    expect(requestIds()).toEqual([1, 2, 3, 4, MAX_ID - 1, MAX_ID, 4, 5]);
    // The answer for a pending id still reaches its caller.
    outgoing.answer(response(1, 'one'));
    await expect(pending1).resolves.toBe('one');
    outgoing.failAll(undefined);
    await expect(pending2).rejects.toMatchObject({ code: 'ERR_IPC_CLOSED' });
    for (const request of wrapped) await expect(request).rejects.toMatchObject({ code: 'ERR_IPC_CLOSED' });
  });
});
