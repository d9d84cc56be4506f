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
  /** meta (metaLength bytes) followed by data; may be a view into a larger read buffer. */
  body: Buffer;
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
  target.writeUInt32BE(bodyLength, offset);
  target[offset + 4] = kind;
  target[offset + 5] = flags;
  target.writeUInt16BE(metaLength, offset + 6);
  target.writeUInt32BE(id >>> 0, offset + 8);
}
