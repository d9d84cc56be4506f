import { HEADER_SIZE, MAX_META_BYTES, writeHeader } from './header.ts';

/**
 * Builds one whole frame in a single buffer (one allocation, one write).
 * `data` is written as UTF-8 when it is a string, copied as-is when it is bytes.
 * Used by the connection for small messages and by tests and benchmarks.
 */
export function encodeFrame(
  kind: number,
  flags: number,
  id: number,
  meta: string,
  data?: string | Uint8Array,
): Buffer {
  const metaLength = meta.length === 0 ? 0 : Buffer.byteLength(meta);
  if (metaLength > MAX_META_BYTES)
    throw new RangeError(`frame meta is ${metaLength} bytes (max ${MAX_META_BYTES})`);
  const dataLength =
    data === undefined ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  const bodyLength = metaLength + dataLength;
  const frame = Buffer.allocUnsafe(HEADER_SIZE + bodyLength);
  writeHeader(frame, 0, kind, flags, id, metaLength, bodyLength);
  if (metaLength > 0) frame.write(meta, HEADER_SIZE, metaLength, 'utf8');
  if (dataLength > 0) {
    if (typeof data === 'string') frame.write(data, HEADER_SIZE + metaLength, dataLength, 'utf8');
    else frame.set(data as Uint8Array, HEADER_SIZE + metaLength);
  }
  return frame;
}

/**
 * Header and meta only, for a frame whose (large) data is written separately,
 * so a bulk payload is never copied into a new buffer.
 */
export function encodeFrameHead(
  kind: number,
  flags: number,
  id: number,
  meta: string,
  dataLength: number,
): Buffer {
  const metaLength = meta.length === 0 ? 0 : Buffer.byteLength(meta);
  if (metaLength > MAX_META_BYTES)
    throw new RangeError(`frame meta is ${metaLength} bytes (max ${MAX_META_BYTES})`);
  const head = Buffer.allocUnsafe(HEADER_SIZE + metaLength);
  writeHeader(head, 0, kind, flags, id, metaLength, metaLength + dataLength);
  if (metaLength > 0) head.write(meta, HEADER_SIZE, metaLength, 'utf8');
  return head;
}
