// The daemon toolkit (issue 17) with real processes: connect-or-spawn, reconnect, waiting for a
// server that is starting, readiness, a graceful close past idle streams, signals, activation.

import { fork } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, isIpcError, serve } from '../../lib/index.ts';
import {
  cleanup,
  errorOf,
  FIXTURES,
  killAll,
  spawnLines,
  startOptionsServer,
  startServer,
  tempDir,
} from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

/** Kills the daemons a test started (they are detached: killAll does not know them). */
function killDaemons(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  for (const pid of readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

describe('connectOrSpawn', () => {
  it('ten CLIs started at once with no daemon end up with exactly one daemon, and all get answers (20 trials)', async () => {
    for (let trial = 0; trial < 20; trial++) {
      const dir = tempDir();
      const path = join(dir, 'kvd.sock');
      const pids = join(dir, 'pids');
      try {
        const runs = await Promise.all(
          Array.from({ length: 10 }, () =>
            execa(process.execPath, [join(FIXTURES, 'spawn-cli.mjs'), path, '1.0.0', pids, '150'], {
              reject: false,
              timeout: 60_000,
            }),
          ),
        );
        const answers = runs.map((r) => r.stdout.trim());
        const started = readFileSync(pids, 'utf8').split('\n').filter(Boolean);
        expect(started, `trial ${trial}: ${answers.join(' | ')}`).toHaveLength(1);
        expect(answers).toEqual(Array.from({ length: 10 }, () => `PID ${started[0]} 1.0.0`));
      } finally {
        killDaemons(pids);
      }
    }
  }, 240_000);

  it('reuses a running daemon, outlives the CLI, and replaces a daemon of another version', async () => {
    const dir = tempDir();
    const path = join(dir, 'kvd.sock');
    const pids = join(dir, 'pids');
    const cli = (version: string) =>
      execa(process.execPath, [join(FIXTURES, 'spawn-cli.mjs'), path, version, pids], { reject: false });
    try {
      const first = (await cli('1.0.0')).stdout;
      expect(first).toMatch(/^PID \d+ 1\.0\.0$/);
      expect((await cli('1.0.0')).stdout).toBe(first); // the same daemon, the first CLI long gone
      expect(statSync(`${path}.log`).mode & 0o777).toBe(0o600);
      const upgraded = (await cli('2.0.0')).stdout;
      expect(upgraded).toMatch(/^PID \d+ 2\.0\.0$/);
      expect(upgraded).not.toBe(first);
      const oldPid = Number(first.split(' ')[1]);
      await expect.poll(() => alive(oldPid), { timeout: 5_000 }).toBe(false);
    } finally {
      killDaemons(pids);
    }
  }, 60_000);

  it('says why, with its log, when the daemon dies before it answers', async () => {
    const dir = tempDir();
    const path = join(dir, 'kvd.sock');
    const run = await execa(
      process.execPath,
      [join(FIXTURES, 'spawn-cli.mjs'), path, 'crash', join(dir, 'pids')],
      {
        reject: false,
      },
    );
    expect(run.stdout).toMatch(/^ERROR ERR_IPC_CONNECT /);
    expect(run.stdout).toContain('exited with code 3 before it answered');
    expect(run.stdout).toContain(`${path}.log`);
    expect(run.stdout).toContain('the daemon could not read its configuration');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(['unix', 'tcp'] as const)('reconnect (%s)', (transport) => {
  it('survives a server restart: events keep coming, requests made meanwhile wait and are answered', async () => {
    const path = join(tempDir(), 'svc.sock');
    const first = await startServer(path, transport);
    const client = await connect(path, { reconnect: { minDelay: 20, maxDelay: 200 } });
    const ticks: unknown[] = [];
    client.on('tick', (data) => ticks.push(data));
    const disconnected = new Promise((resolve) => client.once('disconnect', resolve));
    const reconnected = new Promise<{ attempt: number }>((resolve) => client.once('reconnect', resolve));
    const pidBefore = await client.request('pid');
    first.proc.kill('SIGKILL');
    await disconnected;
    expect(client.connected).toBe(false);
    // Made while nothing listens: waits for the new server.
    const during = client.request('upper', 'made while down', { timeout: 20_000 });
    await startServer(path, transport);
    expect((await reconnected).attempt).toBeGreaterThanOrEqual(1);
    expect(await during).toBe('MADE WHILE DOWN');
    expect(await client.request('pid')).not.toBe(pidBefore);
    // The listener added before the restart still gets the new server's events.
    await client.request('broadcast', { event: 'tick', data: 'after the restart' });
    await expect.poll(() => ticks).toEqual(['after the restart']);
    await client.close();
    expect(client.closed).toBe(true);
  });

  it('a stream started while the server is down waits past the request timeout, as streams are untimed', async () => {
    const path = join(tempDir(), 'svc.sock');
    const first = await startServer(path, transport);
    const client = await connect(path, { timeout: 200, reconnect: { minDelay: 20, maxDelay: 100 } });
    const disconnected = new Promise((resolve) => client.once('disconnect', resolve));
    first.proc.kill('SIGKILL');
    await disconnected;
    const items: unknown[] = [];
    const done = (async () => {
      for await (const item of client.stream('count', 3)) items.push(item);
    })();
    let failed: unknown;
    done.catch((error) => {
      failed = error;
    });
    // Longer than the client's timeout (200 ms) with nothing listening: a timed wait would fail here.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(failed).toBeUndefined();
    await startServer(path, transport);
    await done;
    expect(items).toEqual([0, 1, 2]);
    await client.close();
  });

  it('fails requests at once with failFast, and gives up after its retries with close', async () => {
    const path = join(tempDir(), 'svc.sock');
    const server = await startServer(path, transport);
    const client = await connect(path, {
      reconnect: { retries: 3, minDelay: 10, maxDelay: 20 },
      failFast: true,
    });
    const closed = new Promise<unknown>((resolve) => client.once('close', resolve));
    server.proc.kill('SIGKILL');
    await new Promise((resolve) => client.once('disconnect', resolve));
    const error = await errorOf(client.request('upper', 'x'));
    expect(isIpcError(error) && error.code).toBe('ERR_IPC_CLOSED');
    const reason = await closed;
    expect(isIpcError(reason) && reason.code).toBe('ERR_IPC_CONNECT');
    expect(client.closed).toBe(true);
  });
});

describe('waiting for a server that is starting', () => {
  it('connect({ waitFor }) keeps trying while nothing listens yet, then connects', async () => {
    const path = join(tempDir(), 'later.sock');
    const connecting = connect(path, { waitFor: 20_000 });
    await startServer(path);
    const client = await connecting;
    expect(await client.request('upper', 'here')).toBe('HERE');
    client.destroy();
    // Without it, nothing there is an error at once.
    expect((await errorOf(connect(join(tempDir(), 'never.sock')))).message).toContain('no such file');
  });
});

describe('readiness', () => {
  it('tells a parent that forked it, over the IPC channel', async () => {
    const path = join(tempDir(), 'ready.sock');
    const child = fork(join(FIXTURES, 'options-server.mjs'), [path, '{}'], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const message = await new Promise<{ unixipc: string; endpoint: string; pid: number }>((resolve) =>
        child.once('message', resolve as (m: unknown) => void),
      );
      expect(message).toEqual({ unixipc: 'ready', endpoint: `unix:${path}`, pid: child.pid });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('sends READY=1 to $NOTIFY_SOCKET, as systemd expects (through systemd-notify)', async () => {
    const dir = tempDir();
    const notify = join(dir, 'notify.sock');
    // systemd's side: a datagram socket, which Node cannot make; Python's standard library can.
    const listener = spawnLines(
      'python3',
      [
        '-c',
        `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(notify)})\nprint('LISTENING',flush=True)\nprint('GOT',s.recv(4096).decode().replace(chr(10),' '),flush=True)`,
      ],
      { command: true },
    );
    await listener.waitFor(/^LISTENING/);
    const server = spawnLines('options-server.mjs', [join(dir, 'svc.sock'), '{}'], {
      env: { NOTIFY_SOCKET: notify },
    });
    await server.waitFor(/^READY/);
    const line = await listener.waitFor(/^GOT /);
    expect(line).toContain('READY=1');
    expect(line).toContain(`MAINPID=${server.proc.pid}`);
  });
});

describe('closing with streams open', () => {
  it('ends idle streams and aborts ctx.closing, so close() does not wait out closeTimeout', async () => {
    const path = join(tempDir(), 'watch.sock');
    let sawClosing = false;
    const server = await serve(path, {
      closeTimeout: 20_000,
      handlers: {
        // Never yields: an idle watch.
        async *idle(_params: unknown, ctx) {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        },
        // Ends by itself once told the server is closing.
        async *polite(_params: unknown, ctx) {
          yield 'first';
          await new Promise((resolve) => ctx.closing.addEventListener('abort', resolve));
          sawClosing = true;
        },
      },
    });
    const client = await connect(path, { timeout: 200 });
    const idle = client.stream('idle')[Symbol.asyncIterator]();
    const idleNext = idle.next();
    const polite = client.stream('polite')[Symbol.asyncIterator]();
    expect((await polite.next()).value).toBe('first');
    // An idle stream outlives the client's default request timeout (200 ms here).
    const stillOpen = await Promise.race([
      idleNext.then(() => 'ended'),
      new Promise((r) => setTimeout(r, 600, 'open')),
    ]);
    expect(stillOpen).toBe('open');
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(sawClosing).toBe(true);
    // The polite stream ended on its own within the grace: cleanly, not with ERR_IPC_CLOSED.
    expect(await polite.next()).toEqual({ done: true, value: undefined });
    const ended = await errorOf(idleNext);
    expect(isIpcError(ended) && ended.code).toBe('ERR_IPC_CLOSED');
    client.destroy();
  });
});

describe('signals', () => {
  it('removes the socket file on SIGTERM by default, and the process still ends by the signal', async () => {
    const path = join(tempDir(), 'sig.sock');
    const server = await startOptionsServer(path);
    expect(existsSync(path)).toBe(true);
    server.proc.kill('SIGTERM');
    const result = await server.proc;
    expect(result.signal).toBe('SIGTERM');
    expect(existsSync(path)).toBe(false);
  });

  it('leaves SIGTERM to a handler of the process own, and removes the file when that handler exits', async () => {
    const path = join(tempDir(), 'sig.sock');
    const server = spawnLines('options-server.mjs', [path, JSON.stringify({ ownSigterm: true })]);
    await server.waitFor(/^READY/);
    server.proc.kill('SIGTERM');
    await server.waitFor(/^OWN SIGTERM/);
    const result = await server.proc;
    expect(result.exitCode).toBe(7);
    expect(existsSync(path)).toBe(false);
  });
});

describe('socket activation', () => {
  it('serves on the socket systemd-socket-activate bound and handed over (LISTEN_FDS, LISTEN_FDNAMES)', async () => {
    const path = join(tempDir(), 'kv.sock');
    const activator = spawnLines(
      'systemd-socket-activate',
      [
        '-l',
        path,
        '--fdname=kv',
        process.execPath,
        join(FIXTURES, 'options-server.mjs'),
        join(tempDir(), 'elsewhere', 'kv.sock'),
        JSON.stringify({ name: 'kv' }),
      ],
      { command: true },
    );
    // It binds, and starts the server at the first connection (which waits in the backlog).
    await expect.poll(() => existsSync(path), { timeout: 10_000 }).toBe(true);
    const client = await connect(path, { connectTimeout: 10_000 });
    expect(await client.request('echo', 'activated')).toBe('activated');
    expect(activator.lines.find((l) => l.startsWith('READY'))).toBe(`READY unix:${path} unix`);
    client.destroy();
  });
});

describe('{ name } endpoints resolve from the uid, whatever the environment', () => {
  it('finds the same socket with and without XDG_RUNTIME_DIR, and a client insisting on AF_UNIX never follows a descriptor', async () => {
    const name = `uipc-test-${process.pid}-${Date.now()}`;
    const server = spawnLines('options-server.mjs', [JSON.stringify({ name }), '{"transport":"tcp"}'], {
      env: { XDG_RUNTIME_DIR: tempDir() },
    });
    const line = await server.waitFor(/^(READY|ERROR) /);
    expect(line).toMatch(/^READY tcp:/);
    const saved = process.env.XDG_RUNTIME_DIR;
    delete process.env.XDG_RUNTIME_DIR;
    try {
      const client = await connect({ name });
      expect(await client.request('echo', 'same path')).toBe('same path');
      client.destroy();
      const refused = await errorOf(connect({ name }, { transport: 'unix' }));
      expect(isIpcError(refused) && refused.code).toBe('ERR_IPC_CONNECT');
      expect(refused.message).toContain("transport 'unix' never follows one to TCP");
    } finally {
      if (saved !== undefined) process.env.XDG_RUNTIME_DIR = saved;
    }
  });
});
