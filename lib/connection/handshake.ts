import { ErrorCodes, IpcError } from '../errors.ts';
import type { Frame } from '../framing/index.ts';
import {
  decodeValue,
  fromWireError,
  helloFailure,
  Kind,
  PROTOCOL_VERSION,
  readClientHello,
  readServerHello,
  type ServerHello,
} from '../protocol/index.ts';

/** What a server decides a client's hello by, and says back. */
export interface HelloPolicy {
  maxFrameBytes: number;
  /** Whether the token the client presented is acceptable (a TCP fallback's, or an explicit one). */
  authorize?: ((token: string | undefined) => boolean) | undefined;
  /** A reason to turn away a client whose hello is good (the server is full), or undefined. */
  admit?: (() => IpcError | undefined) | undefined;
  /** What the reply says of the server. */
  identity?: { name?: string | undefined; version?: string | undefined; pid: number } | undefined;
}

/**
 * The server's side of the hello: the client's first frame, judged (PROTOCOL.md
 * 4.2, in that order). Returns the reply to send; throws the IpcError to
 * refuse the client with (the connection sends it as ERROR id 0 and closes).
 */
export function acceptHello(frame: Frame, policy: HelloPolicy): ServerHello {
  const hello = readClientHello(frame);
  if (hello.protocol !== PROTOCOL_VERSION) {
    throw new IpcError(
      ErrorCodes.VERSION,
      `client speaks protocol ${hello.protocol}, this server ${PROTOCOL_VERSION}`,
    );
  }
  if (policy.authorize !== undefined && !policy.authorize(hello.token)) {
    throw new IpcError(ErrorCodes.AUTH, 'the server refused the hello: missing or wrong token');
  }
  const refusal = policy.admit?.();
  if (refusal !== undefined) throw refusal;
  return {
    protocol: PROTOCOL_VERSION,
    server: 'unixipc',
    maxFrameBytes: policy.maxFrameBytes,
    ...policy.identity,
  };
}

/**
 * The client's side (Connection and call() alike): the server's first frame is
 * its hello, or an ERROR id 0 refusing ours, returned as the IpcError the
 * caller fails with (ERR_IPC_CONNECT unless the server named its reason).
 * Anything else throws ERR_IPC_BAD_FRAME; another protocol version, ERR_IPC_VERSION.
 */
export function serverAnswer(frame: Frame): ServerHello | IpcError {
  if (frame.kind === Kind.ERROR && frame.id === 0) return helloFailure(fromWireError(decodeValue(frame)));
  return readServerHello(frame);
}
