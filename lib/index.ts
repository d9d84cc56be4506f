// The main entry: re-exports only. The wire format is `unixipc/protocol`; the one-shot call alone, `unixipc/call`.
export { call } from './client/call.ts';
export { Client, connect } from './client/client.ts';
export { connectOrSpawn, type SpawnOptions } from './client/spawn.ts';
export {
  type Endpoint,
  type EndpointInput,
  parseEndpoint,
  type ResolveOptions,
  resolveSocketPath,
} from './endpoint.ts';
export { ErrorCodes, IpcError, type IpcErrorCode, type IpcErrorOptions, isIpcError } from './errors.ts';
export { Server, serve } from './server/server.ts';
export { type PathStatus, probePath } from './status.ts';
export type {
  CallOptions,
  ClientBase,
  ConnectOptions,
  MethodInfo,
  ReconnectOptions,
  RequestOptions,
  ServerInfo,
  TrustOptions,
  TypedClient,
  UntypedClient,
} from './types/client.ts';
export type {
  AnyApi,
  AnyEvents,
  Api,
  ArgsOf,
  EventMap,
  HandlerOf,
  ItemOf,
  MethodOf,
  ParamsOf,
  ResultOf,
  StandardSchemaV1,
} from './types/contract.ts';
export type {
  Handler,
  Handlers,
  PathLostAction,
  Peer,
  RequestContext,
  ServeOptions,
  ServerEvents,
} from './types/server.ts';
