import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { call, cleanup, codeOf, exited, killAll, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

describe.each(['unix', 'tcp'] as const)('socket file removed or replaced while serving (%s)', (transport) => {
  it('re-binds a path that was removed, and says so', async () => {
    const path = join(tempDir(), 'watched.sock');
    const server = await startOptionsServer(path, { transport, watchInterval: 100 });
    const held = await connect(path); // an existing connection survives the re-bind
    rmSync(path);
    expect(await codeOf(connect(path))).toBe('ERR_IPC_CONNECT');
    await server.waitFor(/^EVENT rebound /, 5_000);
    expect(existsSync(path)).toBe(true);
    expect(await call(path, 'echo', 'again')).toBe('again');
    expect(await held.request('echo', 'held')).toBe('held');
    held.destroy();
  });

  it('stands down when another server takes the path, and never fights it', async () => {
    const path = join(tempDir(), 'watched.sock');
    // A slow watchdog (missing for two checks = 2 s) gives the newer server time to start.
    const first = await startOptionsServer(path, { transport, watchInterval: 1_000 });
    rmSync(path);
    // A newer server binds the now-free path before the watchdog would act.
    const second = await startOptionsServer(path, { transport: 'unix', watchInterval: 100 });
    await first.waitFor(/^EVENT superseded /, 5_000);
    const inode = lstatSync(path).ino;
    // Not a wait for readiness: a window in which nothing may happen (the first server, stood down,
    // must not touch the path; the second, checking every 100 ms, must see it stay its own).
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(lstatSync(path).ino).toBe(inode);
    expect(second.lines.some((line) => line.startsWith('EVENT'))).toBe(false);
    expect(await call(path, 'echo', 'second')).toBe('second');
  });

  it('leaves a regular file that replaced its socket alone', async () => {
    const path = join(tempDir(), 'watched.sock');
    const server = await startOptionsServer(path, { transport, watchInterval: 100 });
    rmSync(path);
    writeFileSync(path, 'not yours');
    await server.waitFor(/^EVENT superseded /, 5_000);
    expect(lstatSync(path).isFile()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('not yours');
  });

  it("treats a removed path as fatal with pathLost: 'fatal'", async () => {
    const path = join(tempDir(), 'watched.sock');
    const server = await startOptionsServer(path, { transport, watchInterval: 100, pathLost: 'fatal' });
    const held = await connect(path);
    const closed = new Promise((resolve) => held.once('close', resolve));
    rmSync(path);
    await server.waitFor(/^EVENT pathLost /, 5_000);
    await closed; // the server closed gracefully, its connections with it
    expect(existsSync(path)).toBe(false);
  });
});

describe.each(['unix', 'tcp'] as const)('signals and exit (%s)', (transport) => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'handleSignals: %s finishes in-flight requests, removes the file, exits 0',
    async (signal) => {
      const path = join(tempDir(), 'sig.sock');
      const server = await startOptionsServer(path, { transport, handleSignals: true });
      const client = await connect(path);
      // Held until the server has begun its close: the request is in flight when the signal lands.
      const inFlight = client.request('hold', 'finished');
      await server.waitFor(/^EVENT held$/);
      server.proc.kill(signal);
      await server.waitFor(new RegExp(`^EVENT signal ${signal}$`));
      server.proc.kill('SIGUSR2'); // lets it answer, now that the server is closing
      expect(await inFlight).toBe('finished');
      const result = await server.proc;
      expect(result.exitCode).toBe(0);
      expect(existsSync(path)).toBe(false);
      client.destroy();
    },
  );

  it('removes its own file on a normal exit', async () => {
    const path = join(tempDir(), 'exit.sock');
    const server = await startOptionsServer(path, { transport });
    expect(await call(path, 'exit', 3)).toBe('bye');
    const result = await server.proc;
    expect(result.exitCode).toBe(3);
    expect(existsSync(path)).toBe(false);
  });

  it("never removes a newer server's file on exit", async () => {
    const path = join(tempDir(), 'exit.sock');
    const old = await startOptionsServer(path, { transport, watchInterval: 0 });
    const oldClient = await connect(path);
    rmSync(path);
    await startOptionsServer(path, { transport: 'unix' });
    const inode = lstatSync(path).ino;
    expect(await oldClient.request('exit')).toBe('bye');
    await exited(old.proc);
    expect(lstatSync(path).ino).toBe(inode);
    expect(await call(path, 'echo', 'newer')).toBe('newer');
    oldClient.destroy();
  });
});
