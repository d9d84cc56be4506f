import { ErrorCodes, IpcError } from '../errors.ts';

/** Where a NATS service lives: the server to dial, and the service name its subjects start with. */
export interface NatsEndpoint {
  /** host:port of the NATS server ([v6]:port for IPv6). */
  server: string;
  service: string;
  /** Credentials from the URL (user:pass@ or token@), for the NATS client's options. */
  auth: { user?: string; pass?: string; token?: string };
  /** The endpoint without credentials, as `server.endpoint` and error messages show it. */
  display: string;
}

export const DEFAULT_NATS_PORT = 4222;

/** Dot-separated tokens of letters, digits, "_" and "-": a NATS subject prefix with no wildcards. */
const SERVICE_PATTERN = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

function bad(message: string): IpcError {
  return new IpcError(ErrorCodes.BAD_ENDPOINT, message);
}

/**
 * Parses `nats://[user:pass@|token@]HOST[:PORT]/SERVICE` (port 4222 when left out). The service
 * name is the first part of every subject the service uses, so it must be a valid subject
 * prefix: dot-separated tokens of letters, digits, "_" and "-" (at most 128 characters).
 */
export function parseNatsEndpoint(input: unknown): NatsEndpoint {
  if (typeof input !== 'string') {
    throw bad(`a NATS endpoint is a string nats://HOST:PORT/SERVICE, not ${typeof input}`);
  }
  if (!input.startsWith('nats://')) {
    throw bad(`cannot parse ${JSON.stringify(input)}: expected nats://HOST:PORT/SERVICE`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new IpcError(ErrorCodes.BAD_ENDPOINT, `cannot parse ${JSON.stringify(input)} as a URL`, { cause });
  }
  if (url.hostname === '')
    throw bad(`no host in ${JSON.stringify(input)}: expected nats://HOST:PORT/SERVICE`);
  if (url.search !== '' || url.hash !== '') {
    throw bad(`unexpected query or fragment in ${JSON.stringify(input)}: pass NATS options as { nats }`);
  }
  const service = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (service === '') {
    throw bad(`no service name in ${JSON.stringify(input)}: expected nats://HOST:PORT/SERVICE`);
  }
  if (service.length > 128 || !SERVICE_PATTERN.test(service)) {
    throw bad(
      `bad service name ${JSON.stringify(service)}: use dot-separated words of letters, digits, "_" and "-" (at most 128 characters)`,
    );
  }
  const port = url.port === '' ? DEFAULT_NATS_PORT : Number(url.port);
  const server = `${url.hostname}:${port}`;
  const auth: NatsEndpoint['auth'] = {};
  if (url.username !== '' && url.password !== '') {
    auth.user = decodeURIComponent(url.username);
    auth.pass = decodeURIComponent(url.password);
  } else if (url.username !== '') {
    auth.token = decodeURIComponent(url.username);
  }
  return { server, service, auth, display: `nats://${server}/${service}` };
}
