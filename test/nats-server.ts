// A real nats-server for the NATS tests: started on a free loopback port (`-p -1`: the kernel
// picks it; the port is read from the server's own log line), ready when it says so (never a
// sleep), killed afterwards.
//
// CI installs nats-server (.ci/run) and sets CI=true: there a missing binary fails the tests. On a
// developer machine without it the NATS tests are skipped, with the reason printed once.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';

export const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? 'nats-server';

const required = Boolean(process.env.CI) || Boolean(process.env.UNIXIPC_REQUIRE_NATS);

function installed(): boolean {
  const probe = spawnSync(NATS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && /nats-server/i.test(probe.stdout + probe.stderr);
}

const present = installed();

/**
 * Whether to skip the NATS tests: only when nats-server is missing and neither CI nor
 * UNIXIPC_REQUIRE_NATS is set. Where it is required and missing, the tests run and fail on start.
 */
export const skipNats = !present && !required;
if (skipNats) {
  console.warn(
    `NATS tests skipped: ${NATS_SERVER_BIN} not found (apt-get install -y nats-server; CI installs it and never skips)`,
  );
}

export interface NatsServerProcess {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything it logged so far. */
  log: string[];
  /** SIGTERM, then SIGKILL if it has not exited within 3 s. Resolves once it has exited. */
  stop(): Promise<void>;
}

const running = new Set<NatsServerProcess>();

/** Starts nats-server on 127.0.0.1 and a free port; resolves once it reports "Server is ready". */
export async function startNatsServer(
  extraArgs: string[] = [],
  timeoutMs = 10_000,
): Promise<NatsServerProcess> {
  if (!present) {
    throw new Error(
      `${NATS_SERVER_BIN} is not installed, and the NATS tests are required here (CI or UNIXIPC_REQUIRE_NATS): ` +
        'apt-get install -y nats-server',
    );
  }
  const child = spawn(NATS_SERVER_BIN, ['-a', '127.0.0.1', '-p', '-1', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let found: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server was not ready within ${timeoutMs} ms:\n${log.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      log.push(line);
      const listening = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(line);
      if (listening) found = Number(listening[1]);
      if (/Server is ready/.test(line) && found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    // It logs to stderr; stdout is read too in case a build logs there.
    readline.createInterface({ input: child.stderr! }).on('line', onLine);
    readline.createInterface({ input: child.stdout! }).on('line', onLine);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited before it was ready:\n${log.join('\n')}`));
    });
  });
  const server: NatsServerProcess = {
    url: `nats://127.0.0.1:${port}`,
    port,
    child,
    log,
    async stop() {
      running.delete(server);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(server);
  return server;
}

/** Stops every nats-server this file started (for afterAll). */
export async function stopNatsServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}
