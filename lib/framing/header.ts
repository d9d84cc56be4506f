/**
 * The fixed 12-byte frame header (all integers big-endian):
 *
 *   0  u32  bodyLength   bytes after the header: meta + data
 *   4  u8   kind         message kind (protocol layer)
 *   5  u8   flags        low 2 bits: data encoding (protocol layer)
 *   6  u16  metaLength   leading bytes of the body that are the UTF-8 meta string
 *   8  u32  id           request or stream id, 0 when unused
 *
 * See PROTOCOL.md. This file and the decoder know nothing of sockets.
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
