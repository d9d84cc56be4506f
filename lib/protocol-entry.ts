// `unixipc/protocol`: the wire format itself (PROTOCOL.md), for tools, tests, benchmarks and
// programs that speak it by hand: frames, their encoder and decoder, message kinds and encodings.
// The main entry does not carry these: an application needs serve(), connect() and call().
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  type Frame,
  FrameDecoder,
  type FrameDecoderOptions,
  HEADER_SIZE,
  MAX_META_BYTES,
} from './framing/index.ts';
export {
  decodeValue,
  Encoding,
  encodeMessage,
  KIND_NAMES,
  Kind,
  METHODS_METHOD,
  PROTOCOL_VERSION,
  WIRE_ERROR_CODES,
} from './protocol/index.ts';
