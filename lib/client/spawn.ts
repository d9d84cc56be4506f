import { fs, sleep } from '../builtins.ts';
import { debug } from '../debug.ts';
import { type EndpointInput, parseEndpoint } from '../endpoint.ts';
import { ErrorCodes, IpcError, isIpcError } from '../errors.ts';
import { checkConnectOptions } from '../options.ts';
import { acquirePathLock, inspectPath } from '../transport/index.ts';
import type { Client, ConnectOptions } from '../types/client.ts';
import type { AnyApi, AnyEvents, ApiOf } from '../types/contract.ts';
import { type ClientImpl, openClient } from './client.ts';

export interface SpawnOptions extends ConnectOptions {
  /** The daemon's program (e.g. `process.execPath`). */
  command: string;
  /** Its arguments (e.g. the daemon script's path). */
  args?: readonly string[];
  /** Its environment. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Its working directory. @default the caller's */
  cwd?: string;
  /** Where its stdout and stderr go (appended, created 0600). @default the socket path + '.log' */
  log?: string;
  /** How long to wait for a daemon to answer once started, and for another CLI starting it. @default 10000 */
  timeout?: number;
  /**
   * The version the daemon must say in its hello (`serve({ version })`). One
   * that says another is asked to shut down (`$shutdown`, if it serves with
   * `allowShutdown`) and replaced by a new one.
   */
  expectVersion?: string;
}

/**
 * A client to the daemon at ENDPOINT, starting the daemon first if none
 * answers: detached (it outlives the caller), its output appended to `log`.
 * Many callers racing with no daemon start exactly one (a lock beside the
 * path); the others wait for it to answer. A daemon of another version than
 * `expectVersion` is asked to shut down and replaced.
 *
 * @example
 * const client = await connectOrSpawn({ name: 'kvd' }, { command: process.execPath, args: [daemonScript], expectVersion: '2.0.0' });
 */
export async function connectOrSpawn<A extends ApiOf<A> = AnyApi, E extends object = AnyEvents>(
  endpoint: EndpointInput,
  options: SpawnOptions,
): Promise<Client<A, E>> {
  const { command, args = [], env, cwd, log, timeout = 10_000, expectVersion, ...connectOptions } = options;
  checkConnectOptions(connectOptions);
  if (typeof command !== 'string' || command.length === 0) {
    throw new IpcError(
      ErrorCodes.BAD_OPTION,
      'connectOrSpawn(): option command must be the daemon program to start',
    );
  }
  const target = parseEndpoint(endpoint);
  if (target.kind !== 'path' || target.path.startsWith('\0')) {
    throw new IpcError(
      ErrorCodes.BAD_ENDPOINT,
      'connectOrSpawn() needs a socket path (or { name }) to find and start its daemon at',
    );
  }
  const path = target.path;
  const deadline = Date.now() + timeout;
  const connectOnce = () =>
    openClient(endpoint, { ...connectOptions, connectTimeout: connectOptions.connectTimeout ?? 2_000 });

  const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
  const existing: ClientImpl | Error = await connectOnce().catch(asError);
  if (!(existing instanceof Error)) {
    if (expectVersion === undefined || existing.server.version === expectVersion)
      return existing as unknown as Client<A, E>;
    await retire(existing, expectVersion, path);
  } else if (!canStart(existing)) {
    throw existing;
  }

  // Nothing answers: one caller starts the daemon, under a lock the kernel drops if it dies.
  const unlock = await acquirePathLock(path, Math.max(1, deadline - Date.now()), 'spawn');
  try {
    // Another caller may have started it while we waited for the lock.
    const started: ClientImpl | Error = await connectOnce().catch(asError);
    if (!(started instanceof Error)) {
      if (expectVersion === undefined || started.server.version === expectVersion)
        return started as unknown as Client<A, E>;
      await retire(started, expectVersion, path);
    }
    const logPath = log ?? `${path}.log`;
    const child = start(command, args, env, cwd, logPath);
    debug('connectOrSpawn %s: started %s (pid %d), log %s', path, command, child.pid, logPath);
    const client = await waitUntilAnswering(child, endpoint, connectOptions, deadline, logPath);
    if (expectVersion !== undefined && client.server.version !== expectVersion) {
      client.destroy();
      throw new IpcError(
        ErrorCodes.CONNECT,
        `the daemon started by ${command} says version ${client.server.version ?? '(none)'}, not ${expectVersion}`,
      );
    }
    return client as unknown as Client<A, E>;
  } finally {
    await unlock();
  }
}

/** Errors after which starting a daemon may help: nothing at the path, or a stale socket. */
function canStart(error: unknown): boolean {
  if (!isIpcError(error) || error.code !== ErrorCodes.CONNECT) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

/** Asks a daemon of another version to shut down, and waits until its path is free. */
async function retire(client: ClientImpl, expected: string, path: string): Promise<void> {
  const running = client.server.version ?? '(none)';
  debug(
    'connectOrSpawn %s: the daemon says version %s, not %s: asking it to shut down',
    path,
    running,
    expected,
  );
  try {
    await client.request('$shutdown', undefined, { timeout: 5_000 });
  } catch (error) {
    client.destroy();
    const why =
      isIpcError(error) && error.code === ErrorCodes.NO_METHOD
        ? ' (it does not serve with allowShutdown)'
        : '';
    throw new IpcError(
      ErrorCodes.CONNECT,
      `a daemon of version ${running} runs at ${path}, not ${expected}, and could not be asked to shut down${why}`,
      { cause: error },
    );
  }
  client.destroy();
  for (let i = 0; i < 200; i++) {
    const state = (await inspectPath(path)).state;
    if (state === 'absent' || state === 'stale') return;
    await sleep(25);
  }
  throw new IpcError(
    ErrorCodes.CONNECT,
    `the daemon at ${path} was asked to shut down but still answers after 5 s`,
  );
}

function start(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv | undefined,
  cwd: string | undefined,
  logPath: string,
): import('node:child_process').ChildProcess {
  const { spawn } = process.getBuiltinModule('node:child_process');
  const fd = fs.openSync(
    logPath,
    fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND,
    0o600,
  );
  try {
    const child = spawn(command, [...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: env ?? process.env,
      cwd,
    });
    child.unref();
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** Connects once the new daemon answers; fails early, with its log, if it exits first. */
async function waitUntilAnswering(
  child: import('node:child_process').ChildProcess,
  endpoint: EndpointInput,
  options: ConnectOptions,
  deadline: number,
  logPath: string,
): Promise<ClientImpl> {
  let exited: string | undefined;
  const onExit = (code: number | null, signal: string | null) => {
    exited = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  };
  const onError = (error: Error) => {
    exited = `could not be started: ${error.message}`;
  };
  child.once('exit', onExit);
  child.once('error', onError);
  try {
    for (let attempt = 0; ; attempt++) {
      if (exited !== undefined) {
        throw new IpcError(
          ErrorCodes.CONNECT,
          `the daemon ${exited} before it answered; its log: ${logPath}\n${tail(logPath)}`,
        );
      }
      try {
        return await openClient(endpoint, {
          ...options,
          connectTimeout: Math.max(1, Math.min(2_000, deadline - Date.now())),
        });
      } catch (error) {
        if (!canStart(error) || Date.now() >= deadline) {
          if (Date.now() >= deadline) {
            throw new IpcError(
              ErrorCodes.CONNECT,
              `the daemon did not answer in time; its log: ${logPath}\n${tail(logPath)}`,
              {
                cause: error,
              },
            );
          }
          throw error;
        }
      }
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 5), 100));
    }
  } finally {
    child.off('exit', onExit);
    child.off('error', onError);
  }
}

/** The last lines of a log, for an error message. */
function tail(path: string): string {
  try {
    const text = fs.readFileSync(path, 'utf8');
    return text.split('\n').slice(-12).join('\n').trimEnd();
  } catch {
    return '';
  }
}
