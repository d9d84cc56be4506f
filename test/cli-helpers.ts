// Running the built `unixipc` command (dist/cli/main.js) in tests, as a separate process.
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export interface CliResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** Runs `unixipc ARGS` to completion (bounded); never rejects: tests look at exitCode. */
export async function cli(args: string[], options: Options = {}): Promise<CliResult> {
  const result = await execa('node', [CLI, ...args], { reject: false, timeout: 30_000, ...options });
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

/** Runs `unixipc ARGS --json` and parses its stdout. */
export async function cliJson<T = any>(
  args: string[],
  options: Options = {},
): Promise<{ exitCode: number | undefined; json: T; stderr: string }> {
  const result = await cli([...args, '--json'], options);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `unixipc ${args.join(' ')} --json printed no JSON (exit ${result.exitCode}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { exitCode: result.exitCode, json, stderr: result.stderr };
}

export interface Running {
  proc: ReturnType<typeof execa>;
  lines: string[];
  /** The first line (printed already or to come) matching PATTERN; bounded. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

const running = new Set<ReturnType<typeof execa>>();

/** Starts `unixipc ARGS` (serve, call --stream) and follows its stdout line by line. */
export function startCli(args: string[], options: Options = {}): Running {
  const proc = execa('node', [CLI, ...args], { reject: false, timeout: 60_000, stdin: 'ignore', ...options });
  running.add(proc);
  void proc.finally(() => running.delete(proc));
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const wake of [...waiters]) wake();
  });
  void proc.finally(() => {
    for (const wake of [...waiters]) wake();
  });
  return {
    proc,
    lines,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.join('\n')}`));
        }, timeoutMs);
        const check = () => {
          const line = lines.find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(line);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(
              new Error(
                `unixipc ${args.join(' ')} exited without printing ${pattern}; got:\n${lines.join('\n')}`,
              ),
            );
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Kills every command startCli() started that is still running. */
export async function killClis(): Promise<void> {
  for (const proc of running) proc.kill('SIGKILL');
  await Promise.allSettled([...running]);
}
