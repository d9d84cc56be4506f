import { os } from '../../builtins.ts';
import { ErrorCodes, IpcError } from '../../errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../../framing/index.ts';
import type { Config, NetInterface, ParserProfile } from './types.ts';

function netInterface(): NetInterface {
  return { localAddress: false, localPort: false, family: false, hints: false, lookup: false };
}

/**
 * `ipc.config`: node-ipc 9.x/10.x's fields and runtime defaults (the API
 * @types/node-ipc describes), plus node-ipc 14's limits. Where the types and
 * node-ipc's runtime disagree both spellings work: `interfaces` is the same
 * object as `interface`, `delimiter` is here although the types lack it, and
 * `maxRetries` takes a number or `false`/`true` (no limit).
 */
export class Defaults implements Config {
  appspace = 'app.';
  socketRoot = '/tmp/';
  id = os().hostname();

  encoding: Config['encoding'] = 'utf8';
  rawBuffer = false;
  sync = false;
  unlink = true;
  delimiter = '\f';

  silent = false;
  logDepth = 5;
  logInColor = true;
  logger: (message: string) => void = console.log.bind(console);
  logPayloads = false;

  maxConnections = 100;
  retry = 500;
  maxRetries: boolean | number = Number.POSITIVE_INFINITY;
  stopRetrying = false;

  tls: Config['tls'] = false as unknown as Config['tls'];
  networkHost = '127.0.0.1';
  networkPort = 8000;
  readableAll = false;
  writableAll = false;
  interface: NetInterface = netInterface();

  // node-ipc 14's fields. Its 'fast' profile enforced none of these limits; here every profile does.
  parser: ParserProfile = 'fast';
  identifyPeer = true;
  maxMessageSize = DEFAULT_MAX_FRAME_BYTES;
  maxPendingBytes = DEFAULT_MAX_FRAME_BYTES;
  maxEventNameLength = 256;
  messageTimeout = 30_000;
  allowReservedEvents = false;
  allowedEvents: false | readonly string[] | ReadonlySet<string> = false;
  secureSocketRoot = true;

  /** @types/node-ipc's name for `interface` (the runtime reads `interface`): the same object. */
  get interfaces(): NetInterface {
    return this.interface;
  }

  set interfaces(value: NetInterface) {
    this.interface = value;
  }
}

/** What a client or server takes from the config when it is created (node-ipc 14 does the same). */
export interface Settings {
  profile: 'raw' | 'fast' | 'guarded' | 'assured';
  delimiter: string;
  encoding: BufferEncoding;
  maxMessageBytes: number;
  maxPendingBytes: number;
  maxEventNameLength: number;
  /** 0: no limit on how long an incomplete message may wait for its end. */
  messageTimeout: number;
  allowReservedEvents: boolean;
  allowedEvents: ReadonlySet<string> | undefined;
  identifyPeer: boolean;
  sync: boolean;
  logPayloads: boolean;
}

function bad(message: string): IpcError {
  return new IpcError(ErrorCodes.BAD_OPTION, message);
}

function limit(value: unknown, name: string, zeroAllowed = false): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  if (typeof value === 'number' && Number.isInteger(value) && (value > 0 || (zeroAllowed && value === 0))) {
    return value;
  }
  throw bad(`ipc.config.${name} must be a positive integer or Infinity${zeroAllowed ? ' (or 0)' : ''}`);
}

/** Validates the config once, for one client or server; a bad value is ERR_IPC_BAD_OPTION. */
export function settingsOf(config: Config, network: boolean): Settings {
  if (config.tls) {
    throw bad(
      'ipc.config.tls is not supported by unixipc/node-ipc (node-ipc 9.x/10.x fell back to a private key ' +
        'shipped in its package); use a unix socket, or a TLS tunnel with your own keys',
    );
  }
  const parser = config.parser as unknown;
  let profile: Settings['profile'];
  if (config.rawBuffer || parser === 'raw') profile = 'raw';
  else if (parser === undefined || parser === false || parser === 'fast') profile = 'fast';
  else if (parser === 'guarded' || parser === 'assured') profile = parser;
  else {
    throw bad(
      `ipc.config.parser ${typeof parser === 'string' ? JSON.stringify(parser) : `(a ${typeof parser})`} is not ` +
        "supported: use 'fast', 'guarded', 'assured' or 'raw' (custom parser classes are not)",
    );
  }
  const delimiter = config.delimiter;
  if (profile !== 'raw' && (typeof delimiter !== 'string' || delimiter.length === 0)) {
    throw bad('ipc.config.delimiter must be a non-empty string');
  }
  let allowedEvents: ReadonlySet<string> | undefined;
  if (profile === 'assured') {
    const allowed = config.allowedEvents as unknown;
    allowedEvents = allowed instanceof Set ? allowed : Array.isArray(allowed) ? new Set(allowed) : undefined;
    if (allowedEvents === undefined || allowedEvents.size === 0) {
      throw bad("the 'assured' parser needs ipc.config.allowedEvents: a non-empty Array or Set of names");
    }
    if (network)
      throw bad("the 'assured' parser needs TLS on the network, and ipc.config.tls is not supported");
  }
  const encoding = (config.encoding ?? 'utf8') as BufferEncoding;
  if (!Buffer.isEncoding(encoding)) throw bad(`ipc.config.encoding ${JSON.stringify(encoding)} is unknown`);
  return {
    profile,
    delimiter: delimiter as string,
    encoding,
    maxMessageBytes: limit(config.maxMessageSize, 'maxMessageSize'),
    maxPendingBytes: limit(config.maxPendingBytes, 'maxPendingBytes'),
    maxEventNameLength: limit(config.maxEventNameLength, 'maxEventNameLength'),
    messageTimeout: limit(config.messageTimeout, 'messageTimeout', true),
    allowReservedEvents: profile !== 'assured' && config.allowReservedEvents === true,
    allowedEvents,
    identifyPeer: config.identifyPeer !== false,
    sync: config.sync === true,
    logPayloads: config.logPayloads === true,
  };
}

/** How many times a client reconnects after a close: a number, or no limit for `false`/`true`. */
export function retriesOf(config: Config): number {
  const value = config.maxRetries;
  if (typeof value === 'number' && !Number.isNaN(value)) return Math.max(0, value);
  return Number.POSITIVE_INFINITY;
}

/** node-ipc's local path on Windows: a pipe named after the path. */
export function localAddress(path: string): string {
  if (process.platform !== 'win32' || path.startsWith('\\\\.\\pipe\\')) return path;
  return `\\\\.\\pipe\\${path.replace(/^\//, '').replace(/\//g, '-')}`;
}
