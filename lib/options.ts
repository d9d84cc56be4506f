import { ErrorCodes, IpcError } from './errors.ts';
import { DEFAULT_MAX_FRAME_BYTES } from './framing/index.ts';

/**
 * Every option's default and the values it may take, in one place. The public
 * option types (with their docs) are in server.ts, client.ts and call.ts; what
 * they promise is checked here, at the API boundary, so that `timeout: NaN` or
 * `maxInFlight: 0` fails at once with ERR_IPC_BAD_OPTION instead of hanging later.
 */

const MiB = 1024 * 1024;

/** Defaults shared by both sides. */
export const DEFAULT_HEARTBEAT_MS = 15_000;

export const SERVE_DEFAULTS = {
  transport: 'auto',
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxInFlight: 1024,
  helloTimeout: 2_000,
  closeTimeout: 10_000,
  maxConnections: 8_192,
  maxPendingHellos: 4_096,
  maxHandlers: 16_384,
  maxBufferedBytes: 128 * MiB,
  maxQueuedBytes: 256 * MiB,
  maxQueuedBytesTotal: 512 * MiB,
  heartbeatInterval: DEFAULT_HEARTBEAT_MS,
  watchInterval: 1_000,
  pathLost: 'rebind',
} as const;

export const CONNECT_DEFAULTS = {
  timeout: 30_000,
  connectTimeout: 5_000,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  heartbeatInterval: DEFAULT_HEARTBEAT_MS,
  maxBufferedBytes: 256 * MiB,
} as const;

interface Rule {
  ok: (value: unknown) => boolean;
  /** What is allowed, in words, for the message. */
  allowed: string;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const ms: Rule = {
  ok: (v) => typeof v === 'number' && v >= 0 && !Number.isNaN(v),
  allowed: 'a number of milliseconds >= 0 (0 or Infinity: none)',
};
const positiveMs: Rule = {
  ok: (v) => typeof v === 'number' && v > 0 && !Number.isNaN(v),
  allowed: 'a number of milliseconds > 0',
};
const count: Rule = { ok: (v) => isInt(v) && v >= 1, allowed: 'an integer >= 1' };
const bytes: Rule = {
  ok: (v) => (isInt(v) && v >= 1) || v === Number.POSITIVE_INFINITY,
  allowed: 'a number of bytes >= 1',
};
const frameBytes: Rule = {
  ok: (v) => isInt(v) && v >= 1 && v <= 0xffffffff,
  allowed: 'an integer from 1 to 4294967295 (a frame header holds 32 bits)',
};
const bool: Rule = { ok: (v) => typeof v === 'boolean', allowed: 'true or false' };
const text: Rule = { ok: (v) => typeof v === 'string' && v.length > 0, allowed: 'a non-empty string' };
const uid = (v: unknown) => isInt(v) && v >= 0;
const uids: Rule = {
  ok: (v) => uid(v) || (Array.isArray(v) && v.every(uid)),
  allowed: 'a uid (an integer >= 0) or an array of them',
};
const oneOf = (...values: string[]): Rule => ({
  ok: (v) => values.includes(v as string),
  allowed: values.map((x) => `'${x}'`).join(', '),
});
const signal: Rule = {
  ok: (v) => typeof (v as AbortSignal | null)?.addEventListener === 'function' && 'aborted' in (v as object),
  allowed: 'an AbortSignal',
};

/** What a client (connect() and call()) and a server both take. */
const TRUST = {
  token: text,
  maxFrameBytes: frameBytes,
  trustUid: uids,
  allowSharedDir: bool,
};

const SERVE: Record<string, Rule> = {
  ...TRUST,
  name: text,
  version: text,
  transport: oneOf('auto', 'unix', 'tcp'),
  backlog: { ok: (v) => isInt(v) && v >= 0, allowed: 'an integer >= 0' },
  mode: { ok: (v) => isInt(v) && v >= 0 && v <= 0o777, allowed: 'a file mode from 0 to 0o777' },
  maxInFlight: count,
  helloTimeout: ms,
  handshakeTimeout: ms,
  closeTimeout: ms,
  maxConnections: count,
  maxPendingHellos: count,
  maxHandlers: count,
  maxBufferedBytes: bytes,
  maxQueuedBytes: bytes,
  maxQueuedBytesTotal: bytes,
  heartbeatInterval: ms,
  handleSignals: { ok: (v) => typeof v === 'boolean' || v === 'auto', allowed: "true, false or 'auto'" },
  allowShutdown: bool,
  notifyReady: { ok: (v) => v === 'auto' || v === false, allowed: "'auto' or false" },
  schemas: { ok: (v) => typeof v === 'object' && v !== null, allowed: 'an object of Standard Schemas' },
  watchInterval: ms,
  pathLost: oneOf('rebind', 'fatal'),
  handlers: { ok: (v) => typeof v === 'object' && v !== null, allowed: 'an object of functions' },
};

const CLIENT: Record<string, Rule> = {
  ...TRUST,
  transport: oneOf('auto', 'unix'),
  timeout: ms,
  connectTimeout: positiveMs,
  maxBufferedBytes: bytes,
  allowSharedDescriptor: bool,
};

const CONNECT: Record<string, Rule> = {
  ...CLIENT,
  heartbeatInterval: ms,
  waitFor: ms,
  failFast: bool,
  reconnect: {
    ok: (v) =>
      typeof v === 'boolean' ||
      (typeof v === 'object' &&
        v !== null &&
        Object.entries(v).every(([key, value]) =>
          key === 'retries'
            ? (isInt(value) && value >= 0) || value === Number.POSITIVE_INFINITY
            : key === 'minDelay' || key === 'maxDelay'
              ? positiveMs.ok(value)
              : false,
        )),
    allowed: 'true, false or { retries, minDelay, maxDelay } (delays in ms > 0)',
  },
};
const CALL: Record<string, Rule> = { ...CLIENT, signal };
const REQUEST: Record<string, Rule> = { timeout: ms, signal };

function show(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  return typeof value;
}

function check(api: string, options: unknown, rules: Record<string, Rule>): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new IpcError(ErrorCodes.BAD_OPTION, `${api}: options must be an object, not ${show(options)}`);
  }
  for (const key in rules) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && !rules[key]!.ok(value)) {
      throw new IpcError(
        ErrorCodes.BAD_OPTION,
        `${api}: option ${key} is ${show(value)}; it must be ${rules[key]!.allowed}`,
      );
    }
  }
}

/** Throws ERR_IPC_BAD_OPTION, naming the option, the value and what is allowed. */
export function checkServeOptions(options: unknown): void {
  check('serve()', options, SERVE);
}

export function checkConnectOptions(options: unknown): void {
  check('connect()', options, CONNECT);
}

export function checkCallOptions(options: unknown): void {
  check('call()', options, CALL);
}

/** A request's own options (its timeout and signal): only when given, so a plain request pays nothing. */
export function checkRequestOptions(options: unknown): void {
  check('request()', options, REQUEST);
}
