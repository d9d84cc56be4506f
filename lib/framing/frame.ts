/**
 * The fixed 12-byte frame header (all integers big-endian):
 *
 *   0  u32  bodyLength   bytes after the header: meta + data
 *   4  u8   kind         message kind (protocol layer)
 *   5  u8   flags        low 2 bits: data encoding (protocol layer)
 *   6  u16  metaLength   leading bytes of the body that are the UTF-8 meta string
 *   8  u32  id           request or stream id, 0 when unused
 *
 * See PROTOCOL.md. This file (the format and the encoder) and the decoder know
 * nothing of sockets.
 */
export const HEADER_SIZE = 12;
export const MAX_META_BYTES = 0xffff;
/** 64 MiB: large enough for bulk transfers, small enough that one peer cannot exhaust memory. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface Frame {
  kind: number;
  flags: number;
  id: number;
  metaLength: number;
  /** The bytes the body lies in: buffer[start, end) is meta (metaLength bytes) then data. */
  buffer: Buffer;
  start: number;
  end: number;
  /** The body as a Buffer of its own: a view of `buffer`, made on demand. */
  readonly body: Buffer;
}

export function writeHeader(
  target: Buffer,
  offset: number,
  kind: number,
  flags: number,
  id: number,
  metaLength: number,
  bodyLength: number,
): void {
  // Plain byte stores: this runs for every frame, and writeUInt32BE re-validates its arguments.
  target[offset] = bodyLength >>> 24;
  target[offset + 1] = bodyLength >>> 16;
  target[offset + 2] = bodyLength >>> 8;
  target[offset + 3] = bodyLength;
  target[offset + 4] = kind;
  target[offset + 5] = flags;
  target[offset + 6] = metaLength >>> 8;
  target[offset + 7] = metaLength;
  target[offset + 8] = id >>> 24;
  target[offset + 9] = id >>> 16;
  target[offset + 10] = id >>> 8;
  target[offset + 11] = id;
}

/** A big-endian u32 read without argument checks (the caller knows the 4 bytes are there). */
export function u32(source: Buffer, at: number): number {
  return source[at]! * 0x1000000 + ((source[at + 1]! << 16) | (source[at + 2]! << 8) | source[at + 3]!);
}

/** Byte length of a string or byte payload (0 for none). */
export function byteLength(data: string | Uint8Array | undefined): number {
  if (data === undefined) return 0;
  if (typeof data !== 'string') return data.byteLength;
  return data.length === 0 ? 0 : Buffer.byteLength(data);
}

/**
 * Writes a frame at `target[offset]`: header, meta, then `data` if given. The
 * caller has made room (HEADER_SIZE + metaLength + the data written) and
 * passes the lengths it measured, so nothing is measured twice. Without
 * `data`, only header and meta are written: the caller writes a large payload
 * of `dataLength` bytes after them itself. Returns the offset after what it wrote.
 */
export function writeFrame(
  target: Buffer,
  offset: number,
  kind: number,
  flags: number,
  id: number,
  meta: string,
  metaLength: number,
  data: string | Uint8Array | undefined,
  dataLength: number,
): number {
  if (metaLength > MAX_META_BYTES)
    throw new RangeError(`frame meta is ${metaLength} bytes (max ${MAX_META_BYTES})`);
  writeHeader(target, offset, kind, flags, id, metaLength, metaLength + dataLength);
  let at = offset + HEADER_SIZE;
  if (metaLength > 0 && metaLength === meta.length && metaLength <= 32) {
    // Short ASCII (byte length = string length): method and event names, every frame.
    for (let i = 0; i < metaLength; i++) target[at + i] = meta.charCodeAt(i);
    at += metaLength;
  } else if (metaLength > 0) {
    at += target.write(meta, at, metaLength, 'utf8');
  }
  if (data === undefined || dataLength === 0) return at;
  if (typeof data === 'string') return at + target.write(data, at, dataLength, 'utf8');
  target.set(data, at);
  return at + dataLength;
}

/**
 * Builds one whole frame in a single buffer (one allocation, one write).
 * `data` is written as UTF-8 when it is a string, copied as-is when it is bytes.
 * For tests, benchmarks and tools; the connection writes frames straight into its batch.
 */
export function encodeFrame(
  kind: number,
  flags: number,
  id: number,
  meta: string,
  data?: string | Uint8Array,
): Buffer {
  const metaLength = byteLength(meta);
  const dataLength = byteLength(data);
  const frame = Buffer.allocUnsafe(HEADER_SIZE + metaLength + dataLength);
  writeFrame(frame, 0, kind, flags, id, meta, metaLength, data, dataLength);
  return frame;
}
