export { type CallOptions, call } from './client/call.ts';
export {
  Client,
  type ConnectOptions,
  connect,
  type MethodInfo,
  type RequestOptions,
  type ServerInfo,
} from './client/client.ts';
export {
  type Endpoint,
  type EndpointInput,
  parseEndpoint,
  type ResolveOptions,
  resolveSocketPath,
} from './endpoint.ts';
export { ErrorCodes, IpcError, type IpcErrorCode, isIpcError } from './errors.ts';
export {
  type Handler,
  type Peer,
  type RequestContext,
  type ServeOptions,
  Server,
  serve,
} from './server/server.ts';
export { type PathStatus, probePath } from './status.ts';
