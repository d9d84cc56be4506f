import { ErrorCodes, IpcError } from '../../errors.ts';

/** One node-ipc message: `JSON.stringify({ type, data })`, then the delimiter. */
export interface WireMessage {
  type: string;
  data: unknown;
}

/**
 * The events a library emits on its own: a peer's message by one of these
 * names is never dispatched as that event (unless `allowReservedEvents`), so
 * a peer sending `{"type":"error"}` cannot trigger the server's own `error`
 * handler, nor fake a `disconnect`. node-ipc 14's guarded list, less `data`:
 * in JSON mode node-ipc never emits `data` itself, so apps use it as a name.
 */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  'start',
  'connect',
  'disconnect',
  'destroy',
  'close',
  'socket.disconnected',
  'error',
]);

/**
 * node-ipc 9.x/10.x (the API @types/node-ipc describes) send a missing or
 * falsy `data` other than `false` and `0` as `{}`, and so do we: a 9.x peer
 * reading `data.id` must not meet `null`.
 */
export function wireData(data: unknown): unknown {
  if (!data && data !== false && data !== 0) return {};
  return data;
}

/** The text of one message, delimiter included. */
export function encodeMessage(type: string, data: unknown, delimiter: string): string {
  return JSON.stringify({ type, data: wireData(data) }) + delimiter;
}

/** Parses one message (without its delimiter); a malformed one is ERR_IPC_BAD_FRAME. */
export function decodeMessage(bytes: Buffer): WireMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new IpcError(ErrorCodes.BAD_FRAME, 'received a message that is not valid JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new IpcError(ErrorCodes.BAD_FRAME, 'received a message that is not a JSON object');
  }
  const { type, data } = parsed as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || type.length === 0) {
    throw new IpcError(ErrorCodes.BAD_FRAME, 'received a message without a string "type"');
  }
  return { type, data };
}
