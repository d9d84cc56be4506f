export { FrameDecoder, type FrameDecoderOptions } from './decoder.ts';
export {
  byteLength,
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  type Frame,
  HEADER_SIZE,
  MAX_META_BYTES,
  writeFrame,
  writeHeader,
} from './frame.ts';
