// `unixipc/call`: the one-shot call alone, for a CLI whose start-up time counts. It loads a third
// of the main entry's code (no Server, no Client, no safe bind): V8 compiles every function of a
// script it loads, so a smaller bundle is the import time a one-call process saves.

export { ErrorCodes, IpcError, type IpcErrorCode, isIpcError } from '../errors.ts';
export { type CallOptions, call } from './call.ts';
