import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, resolveSocketPath, serve } from '../../lib/index.ts';
import { call, cleanup, codeOf, exited, killAll, startFixture, startServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

describe.each(['unix', 'tcp'] as const)('stale files over %s', (transport) => {
  it('restarts over the file left by a server killed with SIGKILL', async () => {
    const path = join(tempDir(), 'daemon.sock');
    const first = await startServer(path, transport);
    const firstPid = await call(path, 'pid');
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    expect(existsSync(path)).toBe(true); // left behind: a socket or a descriptor
    expect(await codeOf(connect(path))).toBe('ERR_IPC_CONNECT');
    const second = await startServer(path, transport);
    expect(second.line).toContain(transport);
    const secondPid = await call(path, 'pid');
    expect(secondPid).not.toBe(firstPid);
  });

  it('refuses to start over a live server, which keeps serving', async () => {
    const path = join(tempDir(), 'daemon.sock');
    await startServer(path, transport);
    const pid = await call(path, 'pid');
    for (const other of ['unix', 'tcp']) {
      const second = await startFixture('server.mjs', [path, other]);
      expect(second.line).toMatch(/^ERROR ERR_IPC_ADDR_IN_USE .*daemon\.sock/);
    }
    expect(await call(path, 'pid')).toBe(pid);
  });

  it('lets exactly one of several racing starters win over a stale file', async () => {
    const path = join(tempDir(), 'race.sock');
    const first = await startServer(path, transport);
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    const racers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        startFixture('server.mjs', [path, i % 2 ? 'unix' : transport], 20_000),
      ),
    );
    const winners = racers.filter((r) => r.line.startsWith('READY'));
    const losers = racers.filter((r) => !r.line.startsWith('READY'));
    expect(winners).toHaveLength(1);
    for (const loser of losers) expect(loser.line).toMatch(/^ERROR ERR_IPC_ADDR_IN_USE/);
    // The winner is reachable at the path: no loser removed its fresh socket.
    expect(await call(path, 'pid')).toBe(winners[0]!.proc.pid);
    // Nothing but the served path is left in the directory (no temporary names).
    const dir = join(path, '..');
    expect(readdirSync(dir)).toEqual(['race.sock']);
  });
});

describe('what is in the way is never removed', () => {
  const cases: Array<[string, (path: string, dir: string) => void]> = [
    ['a regular file', (p) => writeFileSync(p, 'precious data')],
    ['a JSON file that is not a descriptor', (p) => writeFileSync(p, '{"transport":"udp"}')],
    ['a directory', (p) => mkdirSync(p)],
    [
      'a symlink to a file',
      (p, d) => {
        writeFileSync(join(d, 'target'), 'x');
        symlinkSync(join(d, 'target'), p);
      },
    ],
    ['a dangling symlink', (p, d) => symlinkSync(join(d, 'nowhere'), p)],
    ['a FIFO', (p) => execFileSync('mkfifo', [p])],
  ];

  it.each(cases)('%s gives ERR_IPC_PATH_OCCUPIED with every transport', async (_name, make) => {
    const dir = tempDir();
    const path = join(dir, 'app.sock');
    make(path, dir);
    const before = lstatSync(path);
    for (const transport of ['auto', 'unix', 'tcp'] as const) {
      const error = await serve(path, { transport }).catch((e) => e);
      expect(error.code).toBe('ERR_IPC_PATH_OCCUPIED');
      expect(error.message).toContain(path);
    }
    const after = lstatSync(path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    if (before.isFile()) expect(readFileSync(path, 'utf8')).toMatch(/precious|udp/);
  });

  it('a symlink to a live socket is not followed, and the live server is untouched', async () => {
    const dir = tempDir();
    const real = join(dir, 'real.sock');
    await startServer(real, 'unix');
    const link = join(dir, 'link.sock');
    symlinkSync(real, link);
    expect(await codeOf(serve(link))).toBe('ERR_IPC_PATH_OCCUPIED');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(typeof (await call(real, 'pid'))).toBe('number');
  });

  it('close() leaves alone a file that replaced its socket', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.sock');
    const server = await serve(path, { transport: 'unix' });
    execFileSync('rm', [path]);
    writeFileSync(path, 'someone else');
    await server.close();
    expect(readFileSync(path, 'utf8')).toBe('someone else');
  });

  it('close() removes its own socket and descriptor', async () => {
    const dir = tempDir();
    for (const transport of ['unix', 'tcp'] as const) {
      const path = join(dir, `${transport}.sock`);
      const server = await serve(path, { transport });
      expect(existsSync(path)).toBe(true);
      await server.close();
      await server.close(); // idempotent
      expect(existsSync(path)).toBe(false);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('paths and permissions', () => {
  it('creates a missing parent 0700 and the socket 0600', async () => {
    const dir = tempDir();
    const path = join(dir, 'a', 'b', 'app.sock');
    await using server = await serve(path, { transport: 'unix' });
    expect(server.transport).toBe('unix');
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
  });

  it('writes the TCP descriptor 0600 with port, token, pid and version', async () => {
    const path = join(tempDir(), 'app.sock');
    await using server = await serve(path, { transport: 'tcp' });
    const st = lstatSync(path);
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const descriptor = JSON.parse(readFileSync(path, 'utf8'));
    expect(descriptor).toMatchObject({ transport: 'tcp', host: '127.0.0.1', pid: process.pid, version: 1 });
    expect(server.endpoint).toBe(`tcp://127.0.0.1:${descriptor.port}`);
    expect(Buffer.from(descriptor.token, 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('honours an explicit mode', async () => {
    const path = join(tempDir(), 'group.sock');
    await using _server = await serve(path, { transport: 'unix', mode: 0o660 });
    expect(lstatSync(path).mode & 0o777).toBe(0o660);
  });

  it('refuses a directory others can write to, naming it and its mode, unless allowed', async () => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const error = await serve(join(dir, 'app.sock')).catch((e) => e);
    expect(error.code).toBe('ERR_IPC_LISTEN');
    expect(error.message).toContain(dir);
    expect(error.message).toContain('777');
    await using server = await serve(join(dir, 'app.sock'), { allowSharedDir: true });
    expect(server.transport).toBe('unix');
    chmodSync(dir, 0o1777); // sticky: others cannot replace our file
    await using _other = await serve(join(dir, 'other.sock'));
  });

  it('gives ERR_IPC_LISTEN when the parent is not a directory', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const error = await serve(join(dir, 'file', 'app.sock')).catch((e) => e);
    expect(error.code).toBe('ERR_IPC_LISTEN');
    expect(error.message).toContain(`${join(dir, 'file')}: it is not a directory`);
    expect(['EEXIST', 'ENOTDIR']).toContain(error.cause?.code);
  });

  it('serves a path longer than sun_path through a short alias, never at a truncated path', async () => {
    const dir = tempDir();
    const deep = join(dir, 'd'.repeat(60), 'e'.repeat(60));
    const path = join(deep, 'service-with-a-long-name.sock');
    expect(Buffer.byteLength(path)).toBeGreaterThan(108);
    for (const transport of ['auto', 'unix'] as const) {
      const server = await serve(path, { transport });
      expect(server.transport).toBe('unix');
      expect(lstatSync(path).isSocket()).toBe(true);
      const cli = await startFixture('client.mjs', [path, 'x']);
      expect(cli.line).toMatch(/ERR_IPC_NO_METHOD/); // reached the server from another process
      await server.close();
      expect(existsSync(path)).toBe(false);
    }
    // Nothing appeared at the truncated address.
    const truncated = path.slice(0, 107);
    expect(existsSync(truncated)).toBe(false);
    expect(readdirSync(deep)).toEqual([]);
  });

  it('falls back to TCP under auto where even an alias is too long, and refuses under unix', async () => {
    const dir = tempDir();
    const path = join(dir, `${'n'.repeat(100)}.sock`);
    expect(await codeOf(serve(path, { transport: 'unix' }))).toBe('ERR_IPC_PATH_TOO_LONG');
    await using server = await serve(path);
    expect(server.transport).toBe('tcp');
    expect(lstatSync(path).isFile()).toBe(true);
    expect(await call(path, 'nope').catch((e) => e.code)).toBe('ERR_IPC_NO_METHOD');
  });

  it('serves an abstract name on Linux, leaving no file', async () => {
    if (process.platform !== 'linux') return;
    const name = `\0unixipc-test-${process.pid}-${Date.now()}`;
    await using server = await serve(name, { handlers: { hi: () => 'hi' } });
    expect(server.transport).toBe('unix');
    expect(await call(name, 'hi')).toBe('hi');
  });
});

describe('service names', () => {
  it('serves and reaches { name } in the per-user directory, from another process too', async () => {
    const name = `svc-test-${process.pid}-${Date.now()}`;
    const path = resolveSocketPath(name);
    await using server = await serve({ name }, { handlers: { hi: () => 'hi' } });
    expect(server.endpoint).toBe(`unix:${path}`);
    expect(await call(path, 'hi')).toBe('hi');
    await using client = await connect({ name });
    expect(await client.request('hi')).toBe('hi');
    // Another process, with another XDG_RUNTIME_DIR: the same path (it is not read).
    const cli = await startFixture('client.mjs', [path, 'hi'], 10_000, { XDG_RUNTIME_DIR: tempDir() });
    expect(cli.line).toBe('"hi"');
  });
});

describe('connecting to nothing', () => {
  it('names the path and says why', async () => {
    const dir = tempDir();
    const missing = join(dir, 'missing.sock');
    const error = await connect(missing).catch((e) => e);
    expect(error.code).toBe('ERR_IPC_CONNECT');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('no such file');
    writeFileSync(join(dir, 'plain'), 'hello');
    expect((await connect(join(dir, 'plain')).catch((e) => e)).code).toBe('ERR_IPC_CONNECT');
    const tcp = await connect('tcp://127.0.0.1:1').catch((e) => e);
    expect(tcp.code).toBe('ERR_IPC_CONNECT');
  });

  it('reports a stale socket and a stale descriptor as ERR_IPC_CONNECT', async () => {
    for (const transport of ['unix', 'tcp']) {
      const path = join(tempDir(), 'stale.sock');
      const server = await startServer(path, transport);
      server.proc.kill('SIGKILL');
      await exited(server.proc);
      const error = await connect(path).catch((e) => e);
      expect(error.code).toBe('ERR_IPC_CONNECT');
      expect(error.message).toMatch(/stale/);
    }
  });
});

describe('TCP tokens', () => {
  it('asks no token on an explicit tcp:// endpoint unless both sides are given one', async () => {
    await using open = await serve('tcp://127.0.0.1:0', { handlers: { hi: () => 'hi' } });
    expect(open.endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(await call(open.endpoint, 'hi')).toBe('hi');
    await using locked = await serve('tcp://127.0.0.1:0', { token: 's3cret', handlers: { hi: () => 'hi' } });
    expect(await codeOf(connect(locked.endpoint))).toBe('ERR_IPC_AUTH');
    expect(await codeOf(connect(locked.endpoint, { token: 'wrong' }))).toBe('ERR_IPC_AUTH');
    await using ok = await connect(locked.endpoint, { token: 's3cret' });
    expect(await ok.request('hi')).toBe('hi');
  });
});

describe('debug logging', () => {
  it('NODE_DEBUG=unixipc tells binds, stale-file decisions and connections', async () => {
    const path = join(tempDir(), 'dbg.sock');
    const first = await startServer(path, 'unix');
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    const second = await startFixture('server.mjs', [path, 'unix'], 10_000, { NODE_DEBUG: 'unixipc' });
    expect(second.line).toMatch(/^READY/);
    await call(path, 'pid');
    second.proc.kill('SIGTERM');
    const result = await second.proc;
    expect(result.stderr).toMatch(/UNIXIPC \d+: bind .*stale socket/);
    expect(result.stderr).toMatch(/listening \(AF_UNIX/);
    expect(result.stderr).toMatch(/connection \d+ accepted/);
    expect(result.stderr).toMatch(/removed its own file/);
    expect(existsSync(path)).toBe(false);
  });
});
