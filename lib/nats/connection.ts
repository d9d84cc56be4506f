import { ErrorCodes, IpcError } from '../errors.ts';
import type { NatsConnection, NatsModule } from './api.ts';
import type { NatsEndpoint } from './endpoint.ts';
import { loadNats } from './load.ts';

/** Options both serve() and connect() take for the NATS connection itself. */
export interface NatsConnectionOptions {
  /** Bounds connecting to the NATS server, in ms. @default 5000 */
  connectTimeout?: number;
  /**
   * An open NATS connection to use instead of making one (several services can share one).
   * `close()` leaves it open: its owner closes it.
   */
  connection?: NatsConnection;
  /**
   * More options for the NATS client's `connect()` (`tls`, `user`, `pass`, `token`,
   * `authenticator`, `maxReconnectAttempts`, `servers` for a cluster, ...). They win over what
   * the endpoint says.
   */
  nats?: Record<string, unknown>;
}

export interface Dialed {
  nats: NatsModule;
  nc: NatsConnection;
  /** Whether close() should close the connection (false for one given as `connection`). */
  owned: boolean;
}

/** Loads the NATS client and connects (or takes the connection given). Failures are ERR_IPC_CONNECT. */
export async function dialNats(
  endpoint: NatsEndpoint,
  options: NatsConnectionOptions,
  name: string,
): Promise<Dialed> {
  const nats = await loadNats();
  if (options.connection !== undefined) {
    if (options.connection.isClosed()) {
      throw new IpcError(ErrorCodes.CONNECT, `the NATS connection given for ${endpoint.display} is closed`);
    }
    return { nats, nc: options.connection, owned: false };
  }
  const connectTimeout = options.connectTimeout ?? 5_000;
  try {
    const nc = await nats.connect({
      servers: endpoint.server,
      timeout: connectTimeout,
      name,
      ...endpoint.auth,
      ...options.nats,
    });
    if (nc.info?.headers === false) {
      await nc.close().catch(() => {});
      throw new IpcError(
        ErrorCodes.CONNECT,
        `the NATS server for ${endpoint.display} does not support message headers (nats-server 2.2 or later does)`,
      );
    }
    return { nats, nc, owned: true };
  } catch (cause) {
    if (cause instanceof IpcError) throw cause;
    const why = (cause as Error)?.message ?? String(cause);
    throw new IpcError(
      ErrorCodes.CONNECT,
      `cannot connect to the NATS server for ${endpoint.display}: ${why}`,
      {
        cause,
      },
    );
  }
}

/** The inbox prefix the NATS options ask for (accounts often only allow their own), else the client's default. */
export function inboxPrefix(options: NatsConnectionOptions): string | undefined {
  const prefix = options.nats?.inboxPrefix;
  return typeof prefix === 'string' && prefix !== '' ? prefix : undefined;
}
