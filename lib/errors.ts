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
  /**
   * What a client found at the path is not provably its user's (or root's, or a
   * `trustUid`'s): a socket, descriptor, symlink or directory owned by another
   * user, a descriptor others can read, one pointing off loopback, or a port
   * another user took. Nothing was sent.
   */
  UNTRUSTED: 'ERR_IPC_UNTRUSTED',
  /** An option has a value it cannot take (the message names the option, the value and what is allowed). */
  BAD_OPTION: 'ERR_IPC_BAD_OPTION',
  /** An optional peer dependency an entry needs is not installed (unixipc/nats: the NATS client). */
  MISSING_DEPENDENCY: 'ERR_IPC_MISSING_DEPENDENCY',
  /**
   * Params that cannot be sent (a BigInt, a cycle, a function: never sent as
   * nothing), or that the server's schema for the method refused (its issues in
   * `data.issues`).
   */
  BAD_PARAMS: 'ERR_IPC_BAD_PARAMS',
} as const;

export type IpcErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const BRAND = Symbol.for('unixipc.IpcError');

export interface IpcErrorOptions {
  cause?: unknown;
  /** Extra JSON-safe detail; for ERR_IPC_REMOTE, the `data` of the error the handler threw. */
  data?: unknown;
  /** For ERR_IPC_REMOTE: the `code` of the error the handler threw (its own, or an ERR_IPC_ code from a call it made). */
  remoteCode?: string | number | undefined;
  /** For ERR_IPC_REMOTE: the `name` of the error the handler threw ('TypeError', ...). */
  remoteName?: string | undefined;
}

/**
 * `instanceof IpcError` holds for an IpcError from any copy of this package:
 * the ESM and CJS builds, the `unixipc/call` entry, another installed version.
 */
export class IpcError extends Error {
  readonly code: IpcErrorCode;
  readonly data: unknown;
  /** For ERR_IPC_REMOTE: the code of the error the handler threw, if it had one. */
  readonly remoteCode: string | number | undefined;
  /** For ERR_IPC_REMOTE: the name of the error the handler threw. */
  readonly remoteName: string | undefined;

  static override [Symbol.hasInstance](value: unknown): value is IpcError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  constructor(code: IpcErrorCode, message: string, options: IpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
    this.remoteCode = options.remoteCode;
    this.remoteName = options.remoteName;
    Object.defineProperty(this, BRAND, { value: true });
  }

  override get name(): string {
    return 'IpcError';
  }

  toJSON(): {
    name: string;
    code: IpcErrorCode;
    message: string;
    data?: unknown;
    remoteCode?: string | number;
    remoteName?: string;
    cause?: unknown;
  } {
    const out: ReturnType<IpcError['toJSON']> = { name: this.name, code: this.code, message: this.message };
    if (this.data !== undefined) out.data = this.data;
    if (this.remoteCode !== undefined) out.remoteCode = this.remoteCode;
    if (this.remoteName !== undefined) out.remoteName = this.remoteName;
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

// ---- the errors raised in more than one place, made in one ----

/** The connection closed before METHOD was answered. */
export function closedError(method: string, cause?: unknown): IpcError {
  return new IpcError(
    ErrorCodes.CLOSED,
    `connection closed before "${method}" was answered`,
    cause === undefined ? {} : { cause },
  );
}

/** The caller's signal fired; `sent`: whether the request had left (it is cancelled on the peer then). */
export function abortedError(method: string, reason: unknown, sent: boolean): IpcError {
  return new IpcError(ErrorCodes.ABORTED, `"${method}" was aborted${sent ? '' : ' before it was sent'}`, {
    cause: reason,
  });
}

export function timeoutError(method: string, timeoutMs: number): IpcError {
  return new IpcError(ErrorCodes.TIMEOUT, `"${method}" timed out after ${timeoutMs} ms`);
}

/** A streamed result collected by request() (or call()) went over the caller's maxBufferedBytes. */
export function tooMuchError(method: string, maxBytes: number): IpcError {
  return new IpcError(
    ErrorCodes.FRAME_TOO_LARGE,
    `the streamed result of "${method}" is over maxBufferedBytes (${maxBytes}) collected; read it with stream(), item by item`,
  );
}

/** Bytes that are not a valid frame or message. */
export function badFrame(message: string, cause?: unknown): IpcError {
  return new IpcError(ErrorCodes.BAD_FRAME, message, cause === undefined ? {} : { cause });
}
