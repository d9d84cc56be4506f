import { fs, join, os, resolve } from './builtins.ts';
import { ErrorCodes, IpcError } from './errors.ts';

/** A socket path (or, on Linux, an abstract name starting with "\0"). */
export interface PathEndpoint {
  kind: 'path';
  path: string;
}

/** TCP on a host (127.0.0.1 unless told otherwise) and a port (0: any free port). */
export interface TcpEndpoint {
  kind: 'tcp';
  host: string;
  port: number;
}

/** A listening socket already open at this descriptor (socket activation): `serve()` only. */
export interface FdEndpoint {
  kind: 'fd';
  fd: number;
}

export type Endpoint = PathEndpoint | TcpEndpoint | FdEndpoint;

/** What `serve()` and `connect()` accept (`{ fd }`: serve() only, a socket handed over already listening). */
export type EndpointInput =
  | string
  | { path: string }
  | { name: string }
  | { host?: string; port: number }
  | { fd: number };

function bad(message: string): IpcError {
  return new IpcError(ErrorCodes.BAD_ENDPOINT, message);
}

function checkPath(path: string, given: unknown): PathEndpoint {
  if (path.length === 0) throw bad(`empty socket path in endpoint ${JSON.stringify(given)}`);
  if (path.startsWith('\0')) {
    if (path.length === 1) throw bad('an abstract socket name needs at least one character after "\\0"');
    return { kind: 'path', path };
  }
  if (path.includes('\0')) throw bad(`socket path ${JSON.stringify(path)} contains a NUL byte`);
  return { kind: 'path', path: resolve(path) };
}

function checkTcp(host: string, port: unknown, given: unknown): TcpEndpoint {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw bad(`bad TCP port in endpoint ${JSON.stringify(given)} (an integer from 0 to 65535)`);
  }
  if (host.length === 0) throw bad(`empty host in endpoint ${JSON.stringify(given)}`);
  return { kind: 'tcp', host, port };
}

/**
 * Turns what the user gave into an endpoint. Strings: `tcp://HOST:PORT`,
 * `unix:PATH`, or a plain path (relative paths are resolved against the
 * current directory). Objects: `{ path }`, `{ name }`, `{ host, port }`.
 */
export function parseEndpoint(input: EndpointInput): Endpoint {
  if (typeof input === 'string') {
    if (input.startsWith('tcp://')) {
      const rest = input.slice('tcp://'.length);
      const match = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})\/?$/.exec(rest);
      if (!match) throw bad(`cannot parse ${JSON.stringify(input)}: expected tcp://HOST:PORT`);
      return checkTcp(match[1] ?? match[2] ?? '', Number(match[3]), input);
    }
    if (input.startsWith('unix:'))
      return checkPath(input.slice('unix:'.length).replace(/^\/\/(?=\/)/, ''), input);
    // Spelled out rather than with the `i` flag: a case-insensitive regex costs a CLI's one call
    // about 0.2 ms to compile on first use, the rest of the endpoint parse together less.
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(input)) {
      if (input.startsWith('nats://')) {
        throw bad(`${JSON.stringify(input)} is a NATS endpoint: serve and connect to it with unixipc/nats`);
      }
      throw bad(
        `unsupported endpoint scheme in ${JSON.stringify(input)} (use a path, unix:PATH or tcp://HOST:PORT)`,
      );
    }
    return checkPath(input, input);
  }
  if (typeof input !== 'object' || input === null) {
    throw bad(`endpoint must be a string or an object, not ${input === null ? 'null' : typeof input}`);
  }
  if ('path' in input && typeof input.path === 'string') return checkPath(input.path, input);
  if ('name' in input && typeof input.name === 'string')
    return checkPath(resolveSocketPath(input.name), input);
  if ('port' in input) return checkTcp((input as { host?: string }).host ?? '127.0.0.1', input.port, input);
  if ('fd' in input) {
    if (!Number.isInteger(input.fd) || input.fd < 0)
      throw bad(`bad file descriptor in endpoint ${JSON.stringify(input)}`);
    return { kind: 'fd', fd: input.fd };
  }
  throw bad(`endpoint object needs path, name or port: ${JSON.stringify(input)}`);
}

/** How a resolved endpoint is written in `server.endpoint`. */
export function formatEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 'fd') return `fd:${endpoint.fd}`;
  if (endpoint.kind === 'tcp') {
    const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
    return `tcp://${host}:${endpoint.port}`;
  }
  return `unix:${endpoint.path}`;
}

export interface ResolveOptions {
  /** Directory to use instead of the runtime directory. */
  dir?: string;
  /** Create the per-user directory (mode 0700) if missing. @default true */
  create?: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Where a named service lives, from the user's uid alone, so that a daemon
 * started from a desktop session and a CLI run from ssh or cron find the same
 * socket: `/run/user/UID/NAME.sock` when that directory exists and is the
 * user's own and private (systemd makes it at login), else
 * `TMPDIR/unixipc-UID/NAME.sock` in a private 0700 directory. `XDG_RUNTIME_DIR`
 * is not read: it is set in some sessions and not in others. On Windows a
 * named pipe. See socket-paths.md.
 *
 * @example resolveSocketPath('mydaemon') // '/run/user/1000/mydaemon.sock'
 */
export function resolveSocketPath(name: string, options: ResolveOptions = {}): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.includes('..')) {
    throw bad(
      `bad service name ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (process.platform === 'win32') return `\\\\.\\pipe\\unixipc-${name}`;
  if (options.dir !== undefined) return join(resolve(options.dir), `${name}.sock`);
  return join(userRuntimeDir(options.create !== false), `${name}.sock`);
}

/**
 * This user's private runtime directory, whatever the environment says:
 * `/run/user/UID` when it exists, is ours and is private (systemd makes it at
 * login), else `TMPDIR/unixipc-UID`, created 0700 (and refused if someone else
 * made it). Holds what must be private to the user, such as the lock key.
 */
export function userRuntimeDir(create = true): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  if (uid !== undefined) {
    const run = `/run/user/${uid}`;
    const st = fs.statSync(run, { throwIfNoEntry: false });
    if (st?.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) return run;
  }
  const dir = join(os().tmpdir(), `unixipc-${uid ?? 'user'}`);
  if (create) ensurePrivateDir(dir);
  return dir;
}

/** Creates DIR with mode 0700, or checks that an existing one is ours and private. */
function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o077) !== 0) {
    throw bad(
      `${dir} is not a private directory owned by this user (mode ${(stat.mode & 0o7777).toString(8)}, uid ${stat.uid}); ` +
        'remove or fix it, or pass { dir }',
    );
  }
}
