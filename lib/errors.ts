/**
 * One error class with stable string codes, in Node's own style. The original
 * error (a system error, a parse failure) is kept as `cause`.
 */

export const ErrorCodes = {
  /** A request took longer than its timeout; it was cancelled on the server too. */
  TIMEOUT: 'ERR_IPC_TIMEOUT',
  /** The connection closed while requests were pending, or the client/server is closed. */
  CLOSED: 'ERR_IPC_CLOSED',
  /** Could not connect: nothing listening, no such path, a descriptor whose server is gone. */
  CONNECT: 'ERR_IPC_CONNECT',
  /** A live server already owns the path (whatever transport either side uses). */
  ADDR_IN_USE: 'ERR_IPC_ADDR_IN_USE',
  /** Something that is neither a socket nor a descriptor is at the path; it was left untouched. */
  PATH_OCCUPIED: 'ERR_IPC_PATH_OCCUPIED',
  /** The socket path does not fit in `sun_path` and could not be served another way. */
  PATH_TOO_LONG: 'ERR_IPC_PATH_TOO_LONG',
  /** Any other failure to listen (EACCES, a parent that is not a directory, an unsafe directory). */
  LISTEN: 'ERR_IPC_LISTEN',
  /** A frame header announced more bytes than `maxFrameBytes`. */
  FRAME_TOO_LARGE: 'ERR_IPC_FRAME_TOO_LARGE',
  /** Bytes that are not a valid frame or message. */
  BAD_FRAME: 'ERR_IPC_BAD_FRAME',
  /** The server has no handler for that method. */
  NO_METHOD: 'ERR_IPC_NO_METHOD',
  /** The handler threw; `message` is the handler's message. */
  REMOTE: 'ERR_IPC_REMOTE',
  /** The server refused the hello (wrong or missing token over TCP). */
  AUTH: 'ERR_IPC_AUTH',
  /** The caller aborted the request through its AbortSignal. */
  ABORTED: 'ERR_IPC_ABORTED',
  /** The endpoint given to serve() or connect() cannot be understood. */
  BAD_ENDPOINT: 'ERR_IPC_BAD_ENDPOINT',
  /** The peer speaks a protocol version this side does not. */
  VERSION: 'ERR_IPC_VERSION',
  /** An option is invalid or not supported (e.g. `config.tls` in `unixipc/node-ipc`). */
  BAD_OPTION: 'ERR_IPC_BAD_OPTION',
} as const;

export type IpcErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const BRAND = Symbol.for('unixipc.IpcError');

export interface IpcErrorOptions {
  cause?: unknown;
  /** Extra JSON-safe detail (for remote errors: the handler error's `name` and `code`). */
  data?: unknown;
}

/**
 * `instanceof IpcError` holds for an IpcError from any copy of this package:
 * the ESM and CJS builds, the `unixipc/call` entry, another installed version.
 */
export class IpcError extends Error {
  readonly code: IpcErrorCode;
  readonly data: unknown;

  static override [Symbol.hasInstance](value: unknown): value is IpcError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  constructor(code: IpcErrorCode, message: string, options: IpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return 'IpcError';
  }

  toJSON(): { name: string; code: IpcErrorCode; message: string; data?: unknown; cause?: unknown } {
    const out: { name: string; code: IpcErrorCode; message: string; data?: unknown; cause?: unknown } = {
      name: this.name,
      code: this.code,
      message: this.message,
    };
    if (this.data !== undefined) out.data = this.data;
    const cause = this.cause as { code?: unknown; message?: unknown } | undefined;
    if (cause !== undefined) {
      out.cause =
        cause instanceof Error
          ? { name: cause.name, message: cause.message, code: systemCode(cause) }
          : cause;
    }
    return out;
  }
}

/** True for an IpcError from any copy of this package (ESM, CJS or another version). */
export function isIpcError(value: unknown): value is IpcError {
  return value instanceof IpcError;
}

export function systemCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
