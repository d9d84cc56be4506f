import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { connect, isIpcError } from '../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../lib/protocol-entry.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

const dirs: string[] = [];
const children = new Set<ResultPromise>();

/** A fresh private directory under the system temp dir; removed by cleanup(). */
export function tempDir(prefix = 'uipc-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export interface Spawned {
  proc: ResultPromise;
  /** First line the fixture printed: "READY <endpoint> <transport>" or "ERROR <code> <message>". */
  line: string;
}

/** Starts a fixture and waits (bounded) for its first line of output. */
export async function startFixture(
  name: string,
  args: string[],
  timeoutMs = 10_000,
  env?: Record<string, string>,
): Promise<Spawned> {
  const proc = execa('node', [join(FIXTURES, name), ...args], {
    reject: false,
    timeout: 120_000,
    env,
    stdin: 'ignore',
  });
  children.add(proc);
  void proc.finally(() => children.delete(proc));
  const line = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => reject(new Error(`${name} printed nothing within ${timeoutMs} ms`)),
      timeoutMs,
    );
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, newline));
      }
    });
    void proc.then((result) => {
      clearTimeout(timer);
      resolve(buffered.split('\n')[0] || `EXIT ${result.exitCode} ${result.stderr}`);
    });
  });
  return { proc, line };
}

/** Starts the server fixture and fails unless it reports READY. */
export async function startServer(endpoint: string, transport = 'auto'): Promise<Spawned> {
  const spawned = await startFixture('server.mjs', [endpoint, transport]);
  if (!spawned.line.startsWith('READY ')) throw new Error(`server did not start: ${spawned.line}`);
  return spawned;
}

export async function killAll(): Promise<void> {
  for (const child of children) child.kill('SIGKILL');
  await Promise.allSettled([...children]);
}

export async function cleanup(): Promise<void> {
  await killAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Resolves when the process has exited (bounded). */
export async function exited(proc: ResultPromise, timeoutMs = 10_000): Promise<void> {
  await Promise.race([
    proc,
    new Promise((_, reject) => setTimeout(() => reject(new Error('process did not exit')), timeoutMs)),
  ]);
}

export interface LineProcess {
  proc: ResultPromise;
  lines: string[];
  /** Resolves with the first line (already printed or to come) matching PATTERN; bounded. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Starts a fixture and keeps every line it prints, for tests that follow its events. */
export function spawnLines(
  name: string,
  args: string[],
  options: { env?: Record<string, string>; nodeArgs?: string[]; uid?: number; command?: boolean } = {},
): LineProcess {
  const script = name.startsWith('/') ? name : join(FIXTURES, name);
  // `command`: NAME is a program of its own (python3, systemd-socket-activate), not a fixture for node.
  const [file, argv] = options.command
    ? [name, args]
    : [process.execPath, [...(options.nodeArgs ?? []), script, ...args]];
  const proc = execa(file, argv, {
    reject: false,
    timeout: 180_000,
    env: options.env,
    stdin: 'ignore',
    // Another local user, for the tests that play one (the machines run them as root).
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  children.add(proc);
  void proc.finally(() => children.delete(proc));
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  let partial = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    let newline = partial.indexOf('\n');
    while (newline >= 0) {
      const line = partial.slice(0, newline);
      partial = partial.slice(newline + 1);
      lines.push(line);
      for (const waiter of waiters) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
      newline = partial.indexOf('\n');
    }
  });
  return {
    proc,
    lines,
    waitFor(pattern, timeoutMs = 10_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          pattern,
          resolve: (line: string) => {
            clearTimeout(timer);
            resolve(line);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(
            new Error(
              `${name}: no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(waiter);
        void proc.then(() => {
          if (waiters.delete(waiter)) {
            clearTimeout(timer);
            reject(new Error(`${name} exited without printing ${pattern}; got:\n${lines.join('\n')}`));
          }
        });
      });
    },
  };
}

/** Starts options-server.mjs and waits until it is READY. */
export async function startOptionsServer(
  endpoint: string,
  options: Record<string, unknown> = {},
  nodeArgs: string[] = [],
): Promise<LineProcess> {
  const server = spawnLines('options-server.mjs', [endpoint, JSON.stringify(options)], { nodeArgs });
  const line = await server.waitFor(/^(READY|ERROR) /);
  if (!line.startsWith('READY')) throw new Error(`server did not start: ${line}`);
  return server;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** The IpcError code a promise rejects with (fails the test if it resolves or rejects otherwise). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await errorOf(promise);
  if (isIpcError(error)) return error.code;
  throw error;
}

/** One request on a fresh connection, closed afterwards. */
export async function call(path: string, method: string, params?: unknown): Promise<unknown> {
  const client = await connect(path, { connectTimeout: 3_000 });
  try {
    return await client.request(method, params);
  } finally {
    client.destroy();
  }
}

/** A raw socket to wherever PATH leads, already past the hello (with the descriptor's token over TCP). */
export async function rawClient(path: string, hello = true): Promise<Socket> {
  const isSocket = statSync(path).isSocket();
  const descriptor = isSocket ? undefined : JSON.parse(readFileSync(path, 'utf8'));
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = isSocket ? netConnect(path) : netConnect(descriptor.port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => {});
  if (hello) {
    socket.write(encodeFrame(1, 0, 0, '', JSON.stringify({ protocol: 1, token: descriptor?.token })));
  }
  return socket;
}

/** The options-server fixture's `stats`, over a connection of its own. */
export async function stats(path: string): Promise<ServerStats> {
  const client = await connect(path);
  try {
    return await client.request('stats');
  } finally {
    client.destroy();
  }
}

export interface ServerStats {
  connections: number;
  running: number;
  maxRunning: number;
  handled: number;
  aborted: number;
  waited: number;
  /** Calls of `blob` (its answers are not counted in `handled`). */
  blobs: number;
  rss: number;
  heapUsed: number;
  /** Bytes of live ArrayBuffers (Buffers) after a GC: what the process holds, whatever the allocator keeps. */
  arrayBuffers: number;
}

/** Frames a raw socket receives, decoded as they come, with a bounded wait for one that matches. */
export function frameLog(socket: Socket): {
  frames: Array<{ kind: number; id: number; text: string }>;
  waitFor(
    match: (frame: { kind: number; id: number; text: string }) => boolean,
    timeoutMs?: number,
  ): Promise<{ kind: number; id: number; text: string }>;
} {
  const frames: Array<{ kind: number; id: number; text: string }> = [];
  const waiters = new Set<() => void>();
  const decoder = new FrameDecoder((f) => {
    frames.push({ kind: f.kind, id: f.id, text: f.body.subarray(f.metaLength).toString() });
    for (const wake of waiters) wake();
  });
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  return {
    frames,
    waitFor(match, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.find(match);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such frame within ${timeoutMs} ms; got ${JSON.stringify(frames.slice(-5))}`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}
