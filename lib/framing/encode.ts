import { HEADER_SIZE, MAX_META_BYTES, writeHeader } from './header.ts';

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
