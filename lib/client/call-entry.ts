// `unixipc/call`: the one-shot call alone, for a CLI whose start-up time counts: no Server, no
// Client, no safe bind, so the bundle V8 must load is a third of the main entry's.
export { ErrorCodes, IpcError, type IpcErrorCode, isIpcError } from '../errors.ts';
export type { CallOptions } from '../types/client.ts';
export type { Api, ArgsOf, MethodOf, ResultOf } from '../types/contract.ts';
export { call } from './call.ts';
