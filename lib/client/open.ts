import { Connection } from '../connection/connection.ts';
import { debug } from '../debug.ts';
import { type Endpoint, formatEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { CONNECT_DEFAULTS } from '../options.ts';
import { RESERVED_EVENT_NAMES } from '../protocol/index.ts';
import { clientTrust, dial, SocketReads, TCP_BODY_READ_BYTES } from '../transport/index.ts';
import type { ConnectOptions } from './client.ts';

/** Where an open connection's events and its end go. */
export interface ConnectionEvents {
  /** An event from the server (never one named like the client's own: close, error, ...). */
  onEvent(name: string, data: unknown): void;
  onClose(connection: Connection, error: IpcError | undefined): void;
}

export interface Opened {
  connection: Connection;
  /** Where it connected: 'unix:/path' or 'tcp://HOST:PORT'. */
  endpoint: string;
  transport: 'unix' | 'tcp';
}

/**
 * One attempt at a connection: dial the endpoint (following a descriptor to its
 * TCP port, after the trust checks), say hello, and hand back the open
 * connection. Bounded by `connectTimeout`; fails with ERR_IPC_CONNECT (or the
 * server's reason: ERR_IPC_AUTH, ...). connect() is this once; reconnecting and
 * connect-or-spawn are loops around it.
 */
export async function openConnection(
  endpoint: Endpoint,
  options: ConnectOptions,
  events: ConnectionEvents,
): Promise<Opened> {
  const connectTimeout = options.connectTimeout ?? CONNECT_DEFAULTS.connectTimeout;
  const started = Date.now();
  const reads = new SocketReads();
  const dialed = await dial(endpoint, connectTimeout, {
    token: options.token,
    onread: reads.onread,
    trust: clientTrust(options),
    unixOnly: options.transport === 'unix',
  });
  if (dialed.transport === 'tcp') reads.limitBodyReads(TCP_BODY_READ_BYTES);
  const connection = new Connection(dialed.socket, {
    role: 'client',
    transport: dialed.transport,
    maxFrameBytes: options.maxFrameBytes ?? CONNECT_DEFAULTS.maxFrameBytes,
    requestTimeout: options.timeout ?? CONNECT_DEFAULTS.timeout,
    maxInFlight: 1024,
    helloTimeout: 0,
    heartbeatInterval: options.heartbeatInterval ?? CONNECT_DEFAULTS.heartbeatInterval,
    maxQueuedBytes: Number.POSITIVE_INFINITY,
    maxCollectedBytes: options.maxBufferedBytes ?? CONNECT_DEFAULTS.maxBufferedBytes,
    token: dialed.token,
    // A hostile or buggy server must not fake the client's own events.
    onNotify: (name, data) => {
      if (!RESERVED_EVENT_NAMES.has(name)) events.onEvent(name, data);
    },
    onClose: (closed, error) => events.onClose(closed, error),
  });
  reads.attach(connection);
  const where = formatEndpoint(endpoint);
  const remaining = Math.max(1, connectTimeout - (Date.now() - started));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.hello(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new IpcError(
                ErrorCodes.CONNECT,
                `cannot connect to ${where}: no hello within ${connectTimeout} ms`,
              ),
            ),
          remaining,
        );
      }),
    ]);
  } catch (error) {
    connection.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  debug('client: connected to %s over %s', where, dialed.transport);
  return { connection, endpoint: where, transport: dialed.transport };
}
