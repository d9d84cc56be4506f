import { ErrorCodes, IpcError, type IpcErrorCode } from '../errors.ts';
import { encodeFrame, encodeFrameHead, type Frame } from '../framing/index.ts';
import { ENCODING_MASK, Encoding, WIRE_ERROR_CODES } from './messages.ts';

/** Payloads at least this large are written as their own buffer rather than copied into the frame. */
const SEPARATE_WRITE_BYTES = 16 * 1024;

/** A frame ready to write: one buffer, or a head plus a large byte payload written after it. */
export type Encoded = Buffer | readonly [Buffer, Uint8Array];

/**
 * Encodes one message. Bytes (Buffer/Uint8Array) travel raw; undefined as no
 * data; everything else as JSON. Throws TypeError for values JSON cannot carry.
 */
export function encodeMessage(kind: number, id: number, meta: string, value: unknown): Encoded {
  if (value === undefined) return encodeFrame(kind, Encoding.NONE, id, meta);
  if (value instanceof Uint8Array) {
    if (value.byteLength >= SEPARATE_WRITE_BYTES) {
      return [encodeFrameHead(kind, Encoding.BYTES, id, meta, value.byteLength), value];
    }
    return encodeFrame(kind, Encoding.BYTES, id, meta, value);
  }
  const json = JSON.stringify(value);
  if (json === undefined) return encodeFrame(kind, Encoding.NONE, id, meta);
  return encodeFrame(kind, Encoding.JSON, id, meta, json);
}

export function frameMeta(frame: Frame): string {
  return frame.metaLength === 0 ? '' : frame.body.toString('utf8', 0, frame.metaLength);
}

/** Decodes a frame's data section; throws ERR_IPC_BAD_FRAME for anything malformed. */
export function decodeValue(frame: Frame): unknown {
  const encoding = frame.flags & ENCODING_MASK;
  const { body, metaLength } = frame;
  if (encoding === Encoding.JSON) {
    if (body.length === metaLength) throw badFrame('JSON data section is empty');
    try {
      return JSON.parse(body.toString('utf8', metaLength));
    } catch (cause) {
      throw badFrame('data section is not valid JSON', cause);
    }
  }
  if (encoding === Encoding.BYTES) return body.subarray(metaLength);
  if (encoding === Encoding.NONE) {
    if (body.length !== metaLength) throw badFrame('data section must be empty for encoding NONE');
    return undefined;
  }
  throw badFrame(`unknown data encoding ${encoding}`);
}

export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

/**
 * The error object for the wire. Errors unixipc raises itself keep their code;
 * anything a handler threw (`fromHandler`), even an IpcError from a call it
 * made elsewhere, is ERR_IPC_REMOTE with the original `name` and `code` in
 * `data`, so a caller never mistakes a remote failure for its own timeout.
 */
export function toWireError(error: unknown, fromHandler = false): WireError {
  if (error instanceof IpcError && !fromHandler) {
    const out: WireError = { code: error.code, message: error.message };
    if (error.data !== undefined) out.data = error.data;
    return out;
  }
  const err = error as { message?: unknown; name?: unknown; code?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(error);
  const data: Record<string, unknown> = {};
  if (typeof err?.name === 'string') data.name = err.name;
  if (typeof err?.code === 'string' || typeof err?.code === 'number') data.code = err.code;
  return { code: ErrorCodes.REMOTE, message, data };
}

export function fromWireError(value: unknown): IpcError {
  if (typeof value !== 'object' || value === null) throw badFrame('error payload is not an object');
  const { code, message, data } = value as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') {
    throw badFrame('error payload needs string code and message');
  }
  const known = WIRE_ERROR_CODES.has(code) ? (code as IpcErrorCode) : ErrorCodes.REMOTE;
  return new IpcError(known, message, data === undefined ? {} : { data });
}

export function badFrame(message: string, cause?: unknown): IpcError {
  return new IpcError(ErrorCodes.BAD_FRAME, message, cause === undefined ? {} : { cause });
}
