import { describe, expect, it } from 'vitest';
import { IpcError } from '../../lib/errors.ts';
import { type Frame, FrameDecoder } from '../../lib/framing/index.ts';
import {
  decodeValue,
  type Encoded,
  Encoding,
  encodeMessage,
  frameMeta,
  fromWireError,
  Kind,
  tokenMatches,
  toWireError,
} from '../../lib/protocol/index.ts';

function roundTrip(encoded: Encoded): Frame {
  const bytes = Buffer.isBuffer(encoded) ? encoded : Buffer.concat([encoded[0], encoded[1] as Buffer]);
  let out: Frame | undefined;
  new FrameDecoder((f) => {
    out = f;
  }).push(bytes);
  return out!;
}

describe('message codec', () => {
  it.each([
    ['a string', 'hello'],
    ['null', null],
    ['an object', { a: 1, b: [true, 'x'], c: { d: null } }],
    ['a number', 42.5],
    ['unicode', 'ünïcødé ✓ 𝄞'],
  ])('round-trips %s as JSON', (_name, value) => {
    const frame = roundTrip(encodeMessage(Kind.REQUEST, 9, 'm', value));
    expect(frame.flags & 3).toBe(Encoding.JSON);
    expect(frameMeta(frame)).toBe('m');
    expect(decodeValue(frame)).toEqual(value);
  });

  it('carries undefined as no data', () => {
    const frame = roundTrip(encodeMessage(Kind.RESPONSE, 1, '', undefined));
    expect(frame.flags & 3).toBe(Encoding.NONE);
    expect(frame.body.length).toBe(0);
    expect(decodeValue(frame)).toBeUndefined();
  });

  it('carries bytes raw, small and large, and returns a Buffer', () => {
    for (const size of [0, 10, 100_000]) {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      const encoded = encodeMessage(Kind.RESPONSE, 1, '', bytes);
      const frame = roundTrip(encoded);
      expect(frame.flags & 3).toBe(Encoding.BYTES);
      const value = decodeValue(frame) as Buffer;
      expect(Buffer.isBuffer(value)).toBe(true);
      expect(value.equals(Buffer.from(bytes))).toBe(true);
      // No JSON array, no base64: the frame is header + bytes.
      const total = Buffer.isBuffer(encoded) ? encoded.length : encoded[0].length + encoded[1].byteLength;
      expect(total).toBe(12 + size);
    }
  });

  it('does not copy a large payload into the frame', () => {
    const big = Buffer.alloc(1 << 20);
    const encoded = encodeMessage(Kind.RESPONSE, 1, '', big);
    expect(Array.isArray(encoded)).toBe(true);
    expect((encoded as readonly [Buffer, Uint8Array])[1]).toBe(big);
  });

  it('throws for values JSON cannot carry', () => {
    // Never a bare TypeError, and never sent as nothing.
    for (const value of [{ n: 1n }, () => 1, Symbol('s')]) {
      expect(() => encodeMessage(Kind.REQUEST, 1, 'm', value)).toThrow(
        expect.objectContaining({ code: 'ERR_IPC_BAD_PARAMS' }),
      );
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeMessage(Kind.REQUEST, 1, 'm', cyclic)).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_BAD_PARAMS' }),
    );
  });

  it('rejects malformed data as ERR_IPC_BAD_FRAME', () => {
    const bad = roundTrip(encodeMessage(Kind.REQUEST, 1, 'm', 'x'));
    bad.body[bad.metaLength] = 0x7b; // '{' makes '{x"'
    expect(() => decodeValue(bad)).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_FRAME' }));
    const unknown = { ...bad, flags: 3 };
    expect(() => decodeValue(unknown)).toThrow(/unknown data encoding/);
    const emptyJson = roundTrip(encodeMessage(Kind.REQUEST, 1, 'm', undefined));
    expect(() => decodeValue({ ...emptyJson, flags: Encoding.JSON })).toThrow(/empty/);
  });

  it('does not let a payload pollute prototypes', () => {
    const frame = roundTrip(encodeMessage(Kind.REQUEST, 1, 'm', 'x'));
    const payload = Buffer.from(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    );
    const evil = { ...frame, metaLength: 0, buffer: payload, start: 0, end: payload.length };
    const value = decodeValue(evil) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });
});

describe('errors on the wire', () => {
  it('sends a thrown error as ERR_IPC_REMOTE with its message, name, code and data intact', () => {
    const error = Object.assign(new RangeError('too big'), {
      code: 'E_SIZE',
      data: { limit: 10, got: [11] },
    });
    expect(toWireError(error)).toEqual({
      code: 'ERR_IPC_REMOTE',
      message: 'too big',
      remote: { name: 'RangeError', code: 'E_SIZE' },
      data: { limit: 10, got: [11] },
    });
    const back = fromWireError(toWireError(error));
    expect(back).toBeInstanceOf(IpcError);
    expect(back.code).toBe('ERR_IPC_REMOTE');
    expect(back.remoteCode).toBe('E_SIZE');
    expect(back.remoteName).toBe('RangeError');
    expect(back.data).toEqual({ limit: 10, got: [11] });
  });

  it('leaves out data JSON cannot carry, and says so', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const wire = toWireError(Object.assign(new Error('bad'), { data: cyclic }));
    expect(wire.data).toBeUndefined();
    expect(wire.message).toBe('bad (its data could not be sent as JSON)');
  });

  it('sends an IpcError a handler threw as ERR_IPC_REMOTE, so a caller never mistakes it for its own', () => {
    const downstream = new IpcError('ERR_IPC_TIMEOUT', 'the database call timed out');
    expect(toWireError(downstream, true)).toEqual({
      code: 'ERR_IPC_REMOTE',
      message: 'the database call timed out',
      remote: { name: 'IpcError', code: 'ERR_IPC_TIMEOUT' },
    });
    // unixipc's own errors keep their code.
    expect(toWireError(downstream).code).toBe('ERR_IPC_TIMEOUT');
  });

  it('keeps known codes and maps unknown ones to ERR_IPC_REMOTE', () => {
    expect(fromWireError({ code: 'ERR_IPC_NO_METHOD', message: 'x' }).code).toBe('ERR_IPC_NO_METHOD');
    expect(fromWireError({ code: 'ERR_IPC_CONNECT', message: 'x' }).code).toBe('ERR_IPC_REMOTE');
    expect(() => fromWireError('nope')).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_FRAME' }));
  });
});

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    expect(tokenMatches('secret', 'secret')).toBe(true);
    expect(tokenMatches('secret', 'secreT')).toBe(false);
    expect(tokenMatches('secret', 'secret-longer')).toBe(false);
    expect(tokenMatches('secret', undefined)).toBe(false);
  });
});
