import { MAX_META_BYTES } from '../framing/index.ts';

/** Message kinds: the `kind` byte of each frame. See PROTOCOL.md. */
export const Kind = {
  /** First frame each way: protocol version, and the token over TCP. */
  HELLO: 1,
  /** id = request id, meta = method, data = params. */
  REQUEST: 2,
  /** id = request id, data = result. */
  RESPONSE: 3,
  /** id = request id (0: the whole connection), data = JSON { code, message, data? }. */
  ERROR: 4,
  /** One-way message: meta = method or event name, data = payload, id = 0. */
  NOTIFY: 5,
  /** id = request id, data = one item of a streamed result. */
  STREAM_ITEM: 6,
  /** id = request id: the stream is complete. */
  STREAM_END: 7,
  /** id = request id: the caller no longer wants the answer. */
  CANCEL: 8,
  /** Liveness check; the peer answers PONG with the same id. */
  PING: 9,
  PONG: 10,
} as const;

export const KIND_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Kind).map(([name, value]) => [value, name]),
);

/** Low two bits of `flags`: how the data section is encoded. */
export const Encoding = {
  /** UTF-8 JSON text. */
  JSON: 0,
  /** Raw bytes: the value is a Buffer. */
  BYTES: 1,
  /** No value (undefined); the data section is empty. */
  NONE: 2,
} as const;

export const ENCODING_MASK = 0b11;

/** Version of the wire protocol this build speaks (in the HELLO). */
export const PROTOCOL_VERSION = 1;

/** Error codes a peer may put on the wire; anything else arrives as ERR_IPC_REMOTE. */
export const WIRE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ERR_IPC_REMOTE',
  'ERR_IPC_BAD_PARAMS',
  'ERR_IPC_NO_METHOD',
  'ERR_IPC_ABORTED',
  'ERR_IPC_AUTH',
  'ERR_IPC_BAD_FRAME',
  'ERR_IPC_FRAME_TOO_LARGE',
  'ERR_IPC_CLOSED',
  'ERR_IPC_VERSION',
]);

/** Event names a client emits itself: a server may not send events by these names. */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'close',
  'error',
  'disconnect',
  'reconnect',
  'newListener',
  'removeListener',
]);

/**
 * Method and event names travel as a frame's meta: a non-empty string of at
 * most 65535 UTF-8 bytes. Short names (at most 3 bytes a UTF-16 unit) are not
 * measured: this runs for every request.
 */
export function checkName(kind: string, name: unknown): asserts name is string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    (name.length * 3 > MAX_META_BYTES && Buffer.byteLength(name) > MAX_META_BYTES)
  ) {
    throw new TypeError(`${kind} name must be a non-empty string of at most ${MAX_META_BYTES} bytes`);
  }
}
