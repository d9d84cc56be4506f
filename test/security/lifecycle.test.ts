// Starting, restarting and stopping, with what crashes and hostile neighbours leave behind.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, isIpcError, serve } from '../../lib/index.ts';
import { cleanup, errorOf, killAll, spawnLines, tempDir } from '../helpers.ts';
import { describeAsRoot, OTHER_UID, plant, reachableDir } from './other-user.ts';

afterEach(killAll);
afterAll(cleanup);

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('a server that is starting', () => {
  it('answers every client that connects while it binds (none left hanging)', async () => {
    for (const transport of ['unix', 'tcp'] as const) {
      const path = join(tempDir(), 'starting.sock');
      const deadline = Date.now() + 20_000;
      // 60 clients hammer the path before the server exists, and as it appears.
      const clients = Array.from({ length: 60 }, async (_, i) => {
        for (;;) {
          try {
            return await call(path, 'echo', i, { connectTimeout: 3_000, timeout: 3_000 });
          } catch (error) {
            const code = isIpcError(error) ? error.code : '';
            if (code !== 'ERR_IPC_CONNECT' || Date.now() > deadline) throw error;
            if (/no hello|during the hello/.test((error as Error).message)) throw error; // linked, then left
            await new Promise((resolve) => setTimeout(resolve, 1)); // retry pacing: the server is meant to be missing
          }
        }
      });
      const server = spawnLines('options-server.mjs', [path, JSON.stringify({ transport })]);
      const answers = await Promise.all(clients);
      expect(answers).toEqual(Array.from({ length: 60 }, (_, i) => i));
      server.proc.kill('SIGKILL');
    }
  }, 60_000);
});

describe('what a bind killed midway leaves', () => {
  it('removes the stale temporaries of ours, and nothing live, fresh or not ours', async () => {
    const { shared: dir } = reachableDir();
    // A bind SIGKILLed after listening on its temporary name: a stale socket.
    const hung = spawnLines(join(FIXTURES, 'bind-and-hang.mjs'), [join(dir, '.uipc-aaaaaaaaaaaa')]);
    await hung.waitFor(/^READY/);
    hung.proc.kill('SIGKILL');
    await hung.proc;
    // One still binding: a live temporary socket.
    const live = spawnLines(join(FIXTURES, 'bind-and-hang.mjs'), [join(dir, '.uipc-ffffffffffff')]);
    await live.waitFor(/^READY/);
    // Descriptor temporaries (they hold tokens) of a process that is gone, old and new names.
    const dead = await execa(process.execPath, ['-e', 'console.log(process.pid)']);
    const descriptor = JSON.stringify({
      transport: 'tcp',
      host: '127.0.0.1',
      port: 9,
      token: 't',
      pid: Number(dead.stdout),
      version: 1,
    });
    writeFileSync(join(dir, '.uipc-bbbbbbbbbbbb.tmp'), descriptor, { mode: 0o600 });
    writeFileSync(join(dir, '.app.sock.cccccccc.tmp'), descriptor, { mode: 0o600 });
    // A key temporary from long ago, and one being written right now.
    writeFileSync(join(dir, '.uipc-dddddddddddd.tmp'), randomBytes(32), { mode: 0o600 });
    const past = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(dir, '.uipc-dddddddddddd.tmp'), past, past);
    writeFileSync(join(dir, '.uipc-eeeeeeeeeeee.tmp'), randomBytes(32), { mode: 0o600 });
    // Another user's, by our naming: not ours to judge.
    if (process.getuid?.() === 0) {
      await plant([
        { op: 'writeFile', path: join(dir, '.uipc-111111111111.tmp'), data: descriptor, mode: 0o600 },
      ]);
    }
    const server = await serve(join(dir, 'app.sock'), { handlers: { hi: () => 'hi' } });
    try {
      const left = readdirSync(dir).sort();
      expect(left).not.toContain('.uipc-aaaaaaaaaaaa');
      expect(left).not.toContain('.uipc-bbbbbbbbbbbb.tmp');
      expect(left).not.toContain('.app.sock.cccccccc.tmp');
      expect(left).not.toContain('.uipc-dddddddddddd.tmp');
      expect(left).toContain('.uipc-eeeeeeeeeeee.tmp');
      expect(left).toContain('.uipc-ffffffffffff');
      if (process.getuid?.() === 0) expect(left).toContain('.uipc-111111111111.tmp');
      expect(await call(join(dir, 'app.sock'), 'hi')).toBe('hi');
    } finally {
      await server.close();
    }
  });
});

describe('a live server found at the path', () => {
  it('leaves alone a live TCP server whose descriptor has no pid', async () => {
    const dir = tempDir();
    const tcp = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const { port } = tcp.address() as { port: number };
      const path = join(dir, 'svc.sock');
      writeFileSync(path, JSON.stringify({ transport: 'tcp', host: '127.0.0.1', port, token: 't' }), {
        mode: 0o600,
      });
      const error = await errorOf(serve(path));
      expect(isIpcError(error) && error.code).toBe('ERR_IPC_ADDR_IN_USE');
      expect(existsSync(path)).toBe(true);
    } finally {
      tcp.close();
    }
  });

  it('names an abstract socket as @name, not with a raw NUL', async () => {
    const name = `\0uipc-test-${randomBytes(6).toString('hex')}`;
    const first = await serve(name);
    try {
      const error = await errorOf(serve(name));
      expect(isIpcError(error) && error.code).toBe('ERR_IPC_ADDR_IN_USE');
      expect(error.message).toContain(`@${name.slice(1)}`);
      expect(error.message).not.toContain('\0');
      expect(error.message).not.toContain('\\u0000');
    } finally {
      await first.close();
    }
  });
});

describe('signals', () => {
  it('exits 1, saying why, when close() fails on SIGTERM (not 0)', async () => {
    const path = join(tempDir(), 'sig.sock');
    const server = spawnLines(join(FIXTURES, 'signal-server.mjs'), [path]);
    await server.waitFor(/^READY/);
    server.proc.kill('SIGTERM');
    const result = await server.proc;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('closing on SIGTERM failed: close failed on purpose');
  });
});

describeAsRoot('what is not ours is never removed', () => {
  it('keeps a socket another user bound in a shared directory, even a stale one', async () => {
    const { shared } = reachableDir();
    const path = join(shared, 'theirs.sock');
    const theirs = spawnLines(join(FIXTURES, 'bind-and-hang.mjs'), [path], { uid: OTHER_UID });
    await theirs.waitFor(/^READY/);
    theirs.proc.kill('SIGKILL');
    await theirs.proc;
    const error = await errorOf(serve(path));
    expect(isIpcError(error) && error.code).toBe('ERR_IPC_PATH_OCCUPIED');
    expect(error.message).toContain(`stale socket of another user (owner uid ${OTHER_UID}`);
    expect(existsSync(path)).toBe(true);
  });
});
