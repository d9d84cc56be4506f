// `unixipc/nats`: the same handlers and client interface over NATS request/reply, for services
// that outgrow one machine. The NATS client (@nats-io/transport-node) is an optional peer
// dependency loaded by this entry alone; the main entry never references it.
export { ErrorCodes, IpcError, type IpcErrorCode, isIpcError } from '../errors.ts';
export type { NatsConnection } from './api.ts';
// The main entry's names too, so that moving a service to NATS changes its import and its endpoint only.
export type {
  NatsClient as Client,
  NatsConnectOptions as ConnectOptions,
  NatsRequestOptions as RequestOptions,
} from './client.ts';
export { connect, NatsClient, type NatsConnectOptions, type NatsRequestOptions } from './client.ts';
export type { NatsConnectionOptions } from './connection.ts';
export type {
  NatsHandler,
  NatsHandler as Handler,
  NatsPeer,
  NatsPeer as Peer,
  NatsRequestContext,
  NatsRequestContext as RequestContext,
} from './context.ts';
export { type NatsEndpoint, parseNatsEndpoint } from './endpoint.ts';
export type { NatsServeOptions as ServeOptions, NatsServer as Server } from './server.ts';
export { type NatsServeOptions, NatsServer, type NatsServerEvents, serve } from './server.ts';
