export { type CallOptions, call } from './call.ts';
export {
  Client,
  type ConnectOptions,
  connect,
  type MethodInfo,
  type RequestOptions,
  type ServerInfo,
} from './client.ts';
export {
  type Endpoint,
  type EndpointInput,
  parseEndpoint,
  type ResolveOptions,
  resolveSocketPath,
} from './endpoint.ts';
export { ErrorCodes, IpcError, type IpcErrorCode, isIpcError } from './errors.ts';
export {
  DEFAULT_MAX_FRAME_BYTES,
  encodeFrame,
  type Frame,
  FrameDecoder,
  HEADER_SIZE,
} from './framing/index.ts';
export { Encoding, Kind, PROTOCOL_VERSION } from './protocol/index.ts';
export { type Handler, type Peer, type RequestContext, type ServeOptions, Server, serve } from './server.ts';
export { type PathStatus, probePath } from './status.ts';
