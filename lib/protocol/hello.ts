import { crypto } from '../builtins.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import { badFrame, decodeValue } from './codec.ts';
import { KIND_NAMES, Kind, PROTOCOL_VERSION } from './messages.ts';

/**
 * Until the hello is done, each side accepts frames of at most this many body
 * bytes (a hello is well under 200): a peer that has not said hello, or not
 * shown its token, cannot make the other allocate a large body or wait for one.
 */
export const HELLO_MAX_BYTES = 4096;

/** What a client sends first (JSON data of the HELLO frame). */
export interface ClientHello {
  protocol: number;
  token?: string;
}

/** What the server answers when it accepts the client. */
export interface ServerHello {
  protocol: number;
  server: 'unixipc';
  maxFrameBytes: number;
  /** The service's name and version, as its `serve()` options gave them (absent if not given). */
  name?: string;
  version?: string;
  /** The server's process id. */
  pid?: number;
}

/** The built-in method that lists a server's methods (names starting with "$" are the library's). */
export const METHODS_METHOD = '$methods';

/** One entry of what `$methods` answers. */
export interface MethodInfo {
  name: string;
  /** Its handler returns a stream (an async generator, or declared so). */
  stream: boolean;
}

export function clientHello(token: string | undefined): ClientHello {
  return token === undefined ? { protocol: PROTOCOL_VERSION } : { protocol: PROTOCOL_VERSION, token };
}

/**
 * The client's first frame, checked: a HELLO frame (else ERR_IPC_BAD_FRAME, whatever
 * its data says) holding a well-formed hello. Version and token are the server's to judge.
 */
export function readClientHello(frame: Frame): ClientHello {
  return parseClientHello(helloData(frame));
}

function parseClientHello(value: unknown): ClientHello {
  if (typeof value !== 'object' || value === null) throw badFrame('hello is not an object');
  const { protocol, token } = value as Record<string, unknown>;
  if (typeof protocol !== 'number' || !Number.isInteger(protocol))
    throw badFrame('hello needs an integer protocol');
  if (token !== undefined && typeof token !== 'string') throw badFrame('hello token must be a string');
  return token === undefined ? { protocol } : { protocol, token };
}

/**
 * The server's answer to our hello, checked: a HELLO frame (else ERR_IPC_BAD_FRAME)
 * of our protocol version (else ERR_IPC_VERSION). The caller has handled an ERROR id 0.
 */
export function readServerHello(frame: Frame): ServerHello {
  const hello = parseServerHello(helloData(frame));
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new IpcError(
      ErrorCodes.VERSION,
      `server speaks protocol ${hello.protocol}, this client ${PROTOCOL_VERSION}`,
    );
  }
  return hello;
}

/** A hello's data, from a frame that must be a HELLO (else ERR_IPC_BAD_FRAME, whatever its data says). */
function helloData(frame: Frame): unknown {
  if (frame.kind !== Kind.HELLO)
    throw badFrame(`expected HELLO, got ${KIND_NAMES[frame.kind] ?? frame.kind}`);
  return decodeValue(frame);
}

function parseServerHello(value: unknown): ServerHello {
  if (typeof value !== 'object' || value === null) throw badFrame('hello reply is not an object');
  const { protocol, maxFrameBytes, name, version, pid } = value as Record<string, unknown>;
  if (typeof protocol !== 'number') throw badFrame('hello reply needs a protocol');
  const hello: ServerHello = {
    protocol,
    server: 'unixipc',
    maxFrameBytes: typeof maxFrameBytes === 'number' ? maxFrameBytes : 0,
  };
  // Informational, from a server the client does not trust further than its hello: kept only when well-formed.
  if (typeof name === 'string' && name.length <= 256) hello.name = name;
  if (typeof version === 'string' && version.length <= 256) hello.version = version;
  if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) hello.pid = pid;
  return hello;
}

/** Constant-time comparison that does not leak the expected token's length either. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const { createHash, timingSafeEqual } = crypto();
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * What a client's connect or call fails with when its hello does not go
 * through: the server's own reason when it gave one (ERR_IPC_AUTH,
 * ERR_IPC_VERSION, a bad frame...), else ERR_IPC_CONNECT. A connection that
 * closes during the hello never reports ERR_IPC_CLOSED: nothing was open.
 */
export function helloFailure(error: IpcError | undefined): IpcError {
  if (error !== undefined && error.code !== ErrorCodes.CLOSED) return error;
  return new IpcError(
    ErrorCodes.CONNECT,
    error === undefined
      ? 'the server closed the connection during the hello'
      : `the server closed the connection during the hello: ${error.message}`,
    error === undefined ? {} : { cause: error },
  );
}

/**
 * A peer's first bytes, when they show it speaks something else: every
 * unixipc connection starts with a HELLO frame under 64 KiB, whose first
 * byte is 0. Undefined when they could be unixipc (the decoder judges).
 */
export function foreignProtocol(first: Buffer): string | undefined {
  if (first.length === 0 || first[0] === 0) return undefined;
  if (first[0] === 0x16 && first[1] === 0x03)
    return 'the peer does not speak unixipc: it began a TLS handshake';
  const head = first.subarray(0, 32).toString('latin1');
  const printable = /^[\x20-\x7e\r\n\t]+/.exec(head)?.[0] ?? '';
  if (printable.length >= 4) {
    return `the peer does not speak unixipc: it sent text (${JSON.stringify(printable.split(/\r?\n/)[0])}...), perhaps HTTP or another protocol`;
  }
  return undefined;
}

/**
 * A framing error before the hello, reworded when the peer's first bytes show
 * it speaks another protocol (HTTP reads as "frame of 1213486160 bytes"). The
 * code stays: a peer that does speak unixipc can still tell what went wrong.
 */
export function explainForeign(error: IpcError, first: Buffer | undefined): IpcError {
  if (
    first === undefined ||
    (error.code !== ErrorCodes.FRAME_TOO_LARGE && error.code !== ErrorCodes.BAD_FRAME)
  ) {
    return error;
  }
  const foreign = foreignProtocol(first);
  return foreign === undefined
    ? error
    : new IpcError(error.code, `${foreign} (${error.message})`, { cause: error });
}
