import { badFrame, ErrorCodes, IpcError, type IpcErrorCode, type IpcErrorOptions } from '../errors.ts';

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
 * everything else as JSON. A value JSON cannot carry (a BigInt, a cycle, a
 * function or symbol, which JSON.stringify would turn into nothing) throws
 * ERR_IPC_BAD_PARAMS: nothing is written, and never nothing in its place.
 */
export function prepareValue(value: unknown): OutValue {
  if (value === undefined) return NO_VALUE;
  if (value instanceof Uint8Array)
    return { flags: Encoding.BYTES, data: value, dataLength: value.byteLength };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new IpcError(ErrorCodes.BAD_PARAMS, `cannot send this value as JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (json === undefined) {
    throw new IpcError(ErrorCodes.BAD_PARAMS, `cannot send a ${typeof value} as JSON`);
  }
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

const OWN = new WeakSet<IpcError>();

/**
 * Marks an error the library raises from inside a handler's call (a schema's
 * ERR_IPC_BAD_PARAMS): it travels with its own code, not as ERR_IPC_REMOTE.
 */
export function ownError(error: IpcError): IpcError {
  OWN.add(error);
  return error;
}

export interface WireError {
  code: string;
  message: string;
  data?: unknown;
  /** For ERR_IPC_REMOTE: the name and code of the error the handler threw. */
  remote?: { name?: string; code?: string | number };
}

/**
 * The error object for the wire. Errors unixipc raises itself keep their code;
 * anything a handler threw (`fromHandler`), even an IpcError from a call it
 * made elsewhere, is ERR_IPC_REMOTE, so a caller never mistakes a remote
 * failure for its own timeout: its message and `data` travel as they are, its
 * `name` and `code` in `remote`. Data JSON cannot carry is left out (said in the message).
 */
export function toWireError(error: unknown, fromHandler = false): WireError {
  if (error instanceof IpcError && (!fromHandler || OWN.has(error))) {
    const out: WireError = { code: error.code, message: error.message };
    if (error.data !== undefined) out.data = error.data;
    return out;
  }
  const err = error as { message?: unknown; name?: unknown; code?: unknown; data?: unknown } | null;
  let message = typeof err?.message === 'string' ? err.message : String(error);
  const remote: { name?: string; code?: string | number } = {};
  if (typeof err?.name === 'string') remote.name = err.name;
  if (typeof err?.code === 'string' || typeof err?.code === 'number') remote.code = err.code;
  const out: WireError = { code: ErrorCodes.REMOTE, message, remote };
  if (err !== null && typeof err === 'object' && err.data !== undefined) {
    try {
      JSON.stringify(err.data);
      out.data = err.data;
    } catch {
      message += ' (its data could not be sent as JSON)';
      out.message = message;
    }
  }
  return out;
}

export function fromWireError(value: unknown): IpcError {
  if (typeof value !== 'object' || value === null) throw badFrame('error payload is not an object');
  const { code, message, data, remote } = value as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') {
    throw badFrame('error payload needs string code and message');
  }
  const known = WIRE_ERROR_CODES.has(code) ? (code as IpcErrorCode) : ErrorCodes.REMOTE;
  const options: IpcErrorOptions = data === undefined ? {} : { data };
  if (known === ErrorCodes.REMOTE && typeof remote === 'object' && remote !== null) {
    const { name, code: remoteCode } = remote as Record<string, unknown>;
    if (typeof name === 'string') options.remoteName = name;
    if (typeof remoteCode === 'string' || typeof remoteCode === 'number') options.remoteCode = remoteCode;
  }
  if (known !== code) options.remoteCode ??= code; // a code this side does not know, kept
  return new IpcError(known, message, options);
}

/** An error from decoding, as the IpcError to report: anything else thrown there is a bad frame. */
export function asIpcError(error: unknown): IpcError {
  return error instanceof IpcError ? error : badFrame(String(error), error);
}
