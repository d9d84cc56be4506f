export { FrameDecoder, type FrameDecoderOptions } from './decoder.ts';
export { byteLength, encodeFrame, writeFrame } from './encode.ts';
export { DEFAULT_MAX_FRAME_BYTES, type Frame, HEADER_SIZE, MAX_META_BYTES, writeHeader } from './header.ts';
