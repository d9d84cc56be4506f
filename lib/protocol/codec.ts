import { badFrame, ErrorCodes, IpcError, type IpcErrorCode } from '../errors.ts';

export { badFrame } from '../errors.ts';

import { byteLength, type Frame, HEADER_SIZE, writeFrame } from '../framing/index.ts';
import { ENCODING_MASK, Encoding, WIRE_ERROR_CODES } from './messages.ts';

/** Payloads at least this large are written as their own buffer rather than copied into the frame. */
export const SEPARATE_WRITE_BYTES = 16 * 1024;

/** A frame ready to write: one buffer, or a head plus a large byte payload written after it. */
export type Encoded = Buffer | readonly [Buffer, Uint8Array];

/** A value ready for the wire: its encoding flag and its data section. */
export interface OutValue {
  flags: number;
  data: string | Uint8Array | undefined;
  dataLength: number;
}

const NO_VALUE: OutValue = { flags: Encoding.NONE, data: undefined, dataLength: 0 };

/**
 * How a value travels: bytes (Buffer/Uint8Array) raw, undefined as no data,
 * everything else as JSON. Throws TypeError for values JSON cannot carry.
 */
export function prepareValue(value: unknown): OutValue {
  if (value === undefined) return NO_VALUE;
  if (value instanceof Uint8Array)
    return { flags: Encoding.BYTES, data: value, dataLength: value.byteLength };
  const json = JSON.stringify(value);
  if (json === undefined) return NO_VALUE;
  return { flags: Encoding.JSON, data: json, dataLength: byteLength(json) };
}

/** Encodes one message into a buffer of its own (see prepareValue for how values travel). */
export function encodeMessage(kind: number, id: number, meta: string, value: unknown): Encoded {
  const out = prepareValue(value);
  const metaLength = byteLength(meta);
  if (out.flags === Encoding.BYTES && out.dataLength >= SEPARATE_WRITE_BYTES) {
    const head = Buffer.allocUnsafe(HEADER_SIZE + metaLength);
    writeFrame(head, 0, kind, out.flags, id, meta, metaLength, undefined, out.dataLength);
    return [head, out.data as Uint8Array];
  }
  const frame = Buffer.allocUnsafe(HEADER_SIZE + metaLength + out.dataLength);
  writeFrame(frame, 0, kind, out.flags, id, meta, metaLength, out.data, out.dataLength);
  return frame;
}

export function frameMeta(frame: Frame): string {
  return frame.metaLength === 0
    ? ''
    : frame.buffer.toString('utf8', frame.start, frame.start + frame.metaLength);
}

/** Decodes a frame's data section; throws ERR_IPC_BAD_FRAME for anything malformed. */
export function decodeValue(frame: Frame): unknown {
  const encoding = frame.flags & ENCODING_MASK;
  const { buffer, end } = frame;
  const dataStart = frame.start + frame.metaLength;
  if (encoding === Encoding.JSON) {
    if (dataStart === end) throw badFrame('JSON data section is empty');
    try {
      return JSON.parse(buffer.toString('utf8', dataStart, end));
    } catch (cause) {
      throw badFrame('data section is not valid JSON', cause);
    }
  }
  if (encoding === Encoding.BYTES) return buffer.subarray(dataStart, end);
  if (encoding === Encoding.NONE) {
    if (dataStart !== end) throw badFrame('data section must be empty for encoding NONE');
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

/** An error from decoding, as the IpcError to report: anything else thrown there is a bad frame. */
export function asIpcError(error: unknown): IpcError {
  return error instanceof IpcError ? error : badFrame(String(error), error);
}
