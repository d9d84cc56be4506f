import { ErrorCodes, IpcError } from '../errors.ts';
import { fromWireError, toWireError, type WireError } from '../protocol/codec.ts';
import type { NatsConnection, NatsHeaders, NatsModule, NatsMsg, NatsPublishOptions } from './api.ts';

/**
 * NATS headers this entry sets. A JSON request or answer carries none at all (a message without
 * headers is the cheapest NATS has): JSON is the default encoding and a plain answer the default kind.
 */
export const Header = {
  /** "bytes": the payload is raw bytes (a Buffer). Absent: JSON, or undefined when the payload is empty. */
  ENC: 'Ipc-Enc',
  /** Server to client: "error", "item" or "end". Absent: the result. */
  KIND: 'Ipc-Kind',
  /** A stream item's number, from 1: a gap means NATS dropped one (it delivers at most once). */
  SEQ: 'Ipc-Seq',
  /** On a request: how many stream items the server may send ahead of the client's credit. */
  WINDOW: 'Ipc-Window',
  /** On a notification: the sender's inbox, so that ctx.peer.notify() can answer it. */
  PEER: 'Ipc-Peer',
  /** On a stream's first item: the client sends credit at least this often (ms), or the server gives up. */
  KEEPALIVE: 'Ipc-Keepalive',
} as const;

export const Kinds = { ERROR: 'error', ITEM: 'item', END: 'end' } as const;

/** Stream items a server sends ahead of the client's credit when the request names no window. */
export const DEFAULT_WINDOW = 64;

const EMPTY = new Uint8Array(0);

export interface Encoded {
  payload: Uint8Array;
  bytes: boolean;
}

/** How a value travels: bytes raw (Ipc-Enc: bytes), undefined as an empty payload, the rest as JSON. */
export function encodeValue(value: unknown): Encoded {
  if (value === undefined) return { payload: EMPTY, bytes: false };
  if (value instanceof Uint8Array) return { payload: value, bytes: true };
  const json = JSON.stringify(value);
  if (json === undefined) return { payload: EMPTY, bytes: false };
  return { payload: Buffer.from(json, 'utf8'), bytes: false };
}

/** The value a message carries; throws ERR_IPC_BAD_FRAME for a payload that is not what it says. */
export function decodeValue(msg: NatsMsg): unknown {
  const data = msg.data;
  if (msg.headers?.get(Header.ENC) === 'bytes') {
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data.byteLength === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (cause) {
    throw new IpcError(ErrorCodes.BAD_FRAME, 'message payload is not valid JSON', { cause });
  }
}

export function encodeError(error: unknown, fromHandler: boolean): Uint8Array {
  return Buffer.from(JSON.stringify(toWireError(error, fromHandler)), 'utf8');
}

export function decodeError(msg: NatsMsg): IpcError {
  try {
    return fromWireError(decodeValue(msg));
  } catch (error) {
    return error instanceof IpcError ? error : new IpcError(ErrorCodes.BAD_FRAME, String(error));
  }
}

/** Builds headers from the fields that are set; undefined when none is. */
export function headersOf(
  nats: NatsModule,
  fields: Partial<Record<(typeof Header)[keyof typeof Header], string | undefined>>,
): NatsHeaders | undefined {
  let headers: NatsHeaders | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    headers ??= nats.headers();
    headers.set(key, value);
  }
  return headers;
}

/**
 * Publishes one message. A payload over the server's max_payload fails here, clearly, as
 * ERR_IPC_FRAME_TOO_LARGE (NATS would refuse it anyway); a closed connection is ERR_IPC_CLOSED.
 * `what` names the message in the error ('params of "upload"').
 */
export function publish(
  nc: NatsConnection,
  subject: string,
  payload: Uint8Array,
  options: NatsPublishOptions,
  what: string,
): void {
  const limit = nc.info?.max_payload ?? Number.POSITIVE_INFINITY;
  if (payload.byteLength > limit) throw tooLarge(what, payload.byteLength, limit);
  try {
    nc.publish(subject, payload, options);
  } catch (cause) {
    const message = String((cause as Error)?.message ?? cause);
    if (/max_payload/.test(message)) throw tooLarge(what, payload.byteLength, limit, cause);
    if (nc.isClosed()) {
      throw new IpcError(ErrorCodes.CLOSED, `cannot send ${what}: the NATS connection is closed`, { cause });
    }
    throw new IpcError(ErrorCodes.CLOSED, `cannot send ${what}: ${message}`, { cause });
  }
}

function tooLarge(what: string, size: number, limit: number, cause?: unknown): IpcError {
  return new IpcError(
    ErrorCodes.FRAME_TOO_LARGE,
    `${what}: ${size} bytes, over the NATS server's max_payload (${limit} bytes): ` +
      'send it as a stream of smaller items, or raise max_payload in nats-server.conf',
    cause === undefined ? {} : { cause },
  );
}

export type { WireError };
