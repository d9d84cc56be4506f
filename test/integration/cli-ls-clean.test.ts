import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call as request } from '../../lib/index.ts';
import { cli, cliJson, killClis, startCli } from '../cli-helpers.ts';
import { cleanup, exited, killAll, startFixture, startOptionsServer, tempDir } from '../helpers.ts';

// Not after each test: the first group's servers serve all of its tests.
afterAll(async () => {
  await killClis();
  await killAll();
  await cleanup();
});

const NOBODY = 65534;

/** A socket (or, with transport tcp, a descriptor) whose server was SIGKILLed: stale. */
async function staleAt(path: string, transport: 'unix' | 'tcp' = 'unix'): Promise<void> {
  const server = await startOptionsServer(path, { transport });
  server.proc.kill('SIGKILL');
  await exited(server.proc);
}

/**
 * One directory holding every kind of thing ls and clean meet: live servers over AF_UNIX and
 * over a TCP descriptor, a stale socket and a stale descriptor (SIGKILLed servers), a stale
 * socket of another user's, a live socket of another user's, something that accepts but never
 * says hello, a regular file, and a file named like a socket that is not a descriptor.
 */
describe('unixipc ls and clean in a directory with everything in it', () => {
  let dir: string;
  const pids: Record<string, number | undefined> = {};

  beforeAll(async () => {
    dir = tempDir();
    const demo = startCli(['serve', join(dir, 'demo.sock'), '--name', 'demo', '--quiet']);
    await demo.waitFor(/^listening on /);
    pids.demo = demo.proc.pid;
    const tcp = startCli(['serve', join(dir, 'kv.sock'), '--transport', 'tcp', '--name', 'kv', '--quiet']);
    await tcp.waitFor(/^listening on /);
    pids.kv = tcp.proc.pid;
    await staleAt(join(dir, 'old.sock'));
    await staleAt(join(dir, 'old-tcp.sock'), 'tcp');
    await staleAt(join(dir, 'theirs-old.sock'));
    chownSync(join(dir, 'theirs-old.sock'), NOBODY, NOBODY);
    await startOptionsServer(join(dir, 'theirs.sock'));
    chownSync(join(dir, 'theirs.sock'), NOBODY, NOBODY);
    const silent = await startFixture('silent-server.mjs', [join(dir, 'silent.sock')]);
    expect(silent.line).toMatch(/^READY /);
    writeFileSync(join(dir, 'notes.txt'), 'not a socket\n');
    writeFileSync(join(dir, 'fake.sock'), '{"transport":"tcp"}\n');
  }, 60_000);

  it('ls tells live, stale and unreachable apart, with what each live server says', async () => {
    const { exitCode, json } = await cliJson(['ls', dir, '--timeout', '500']);
    expect(exitCode).toBe(0);
    expect(json.dir).toBe(dir);
    const byName = Object.fromEntries(json.entries.map((e: any) => [e.path.slice(dir.length + 1), e]));
    expect(Object.keys(byName).sort()).toEqual([
      'demo.sock',
      'kv.sock',
      'old-tcp.sock',
      'old.sock',
      'silent.sock',
      'theirs-old.sock',
      'theirs.sock',
    ]);
    expect(byName['demo.sock']).toMatchObject({
      kind: 'socket',
      state: 'live',
      transport: 'unix',
      server: { name: 'demo', pid: pids.demo },
    });
    expect(byName['demo.sock'].methods).toContainEqual({ name: 'count', stream: true });
    expect(byName['kv.sock']).toMatchObject({
      kind: 'descriptor',
      state: 'live',
      transport: 'tcp',
      server: { name: 'kv', pid: pids.kv },
      descriptor: { host: '127.0.0.1', pid: pids.kv },
    });
    expect(byName['old.sock']).toMatchObject({ kind: 'socket', state: 'stale' });
    expect(byName['old-tcp.sock']).toMatchObject({ kind: 'descriptor', state: 'stale' });
    expect(byName['theirs-old.sock']).toMatchObject({ state: 'stale', owner: { uid: NOBODY } });
    expect(byName['theirs.sock']).toMatchObject({
      state: 'unreachable',
      error: { code: 'ERR_IPC_UNTRUSTED' },
    });
    expect(byName['silent.sock']).toMatchObject({ state: 'unreachable', error: { code: 'ERR_IPC_CONNECT' } });
    expect(byName['silent.sock'].error.message).toMatch(/no hello within 500 ms/);

    const text = await cli(['ls', dir, '--timeout', '500']);
    expect(text.stdout).toMatch(/^live +demo\.sock +unix +demo \d+\.\d+\.\d+ +\d+ +count \(stream\), echo/m);
    expect(text.stdout).toMatch(/^stale +old\.sock +unix/m);
    expect(text.stdout).toMatch(/2 live, 3 stale \(unixipc clean .* removes them\), 2 unreachable/);
  });

  it('clean --dry-run names the stale files of ours and removes nothing', async () => {
    const { json } = await cliJson(['clean', dir, '--dry-run']);
    expect(json.dryRun).toBe(true);
    expect(json.removed.map((r: any) => r.path).sort()).toEqual([
      join(dir, 'old-tcp.sock'),
      join(dir, 'old.sock'),
    ]);
    expect(existsSync(join(dir, 'old.sock'))).toBe(true);
    expect(existsSync(join(dir, 'old-tcp.sock'))).toBe(true);
  });

  it('clean removes exactly the stale socket and descriptor of ours, never a live one or a file', async () => {
    const result = await cli(['clean', dir]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^removed +.*\/old\.sock +stale socket \(connection refused\)$/m);
    expect(result.stdout).toMatch(/^removed +.*\/old-tcp\.sock +stale descriptor \(pid \d+ is gone\)$/m);
    expect(result.stdout).toMatch(
      /^kept +.*\/theirs-old\.sock +stale socket .*owned by uid 65534, not you$/m,
    );
    expect(result.stdout).toMatch(/^2 removed, 5 kept$/m);
    expect(existsSync(join(dir, 'old.sock'))).toBe(false);
    expect(existsSync(join(dir, 'old-tcp.sock'))).toBe(false);
    for (const name of [
      'demo.sock',
      'kv.sock',
      'theirs.sock',
      'theirs-old.sock',
      'silent.sock',
      'notes.txt',
      'fake.sock',
    ]) {
      expect(existsSync(join(dir, name)), name).toBe(true);
    }
    // The live servers still answer at their paths.
    expect(await request(join(dir, 'demo.sock'), 'upper', 'ok')).toBe('OK');
    expect(await request(join(dir, 'kv.sock'), 'upper', 'ok')).toBe('OK');
    // Named one by one: a file that is not a socket or a descriptor is said to be kept, and is.
    const named = await cliJson([
      'clean',
      join(dir, 'notes.txt'),
      join(dir, 'fake.sock'),
      join(dir, 'demo.sock'),
    ]);
    expect(named.json.removed).toEqual([]);
    expect(named.json.kept.map((k: any) => k.why)).toEqual([
      'a regular file, not a socket or descriptor: never removed',
      'a regular file, not a socket or descriptor: never removed',
      'live socket',
    ]);
    expect(lstatSync(join(dir, 'notes.txt')).isFile()).toBe(true);
  });
});

describe('unixipc ls and clean, default directory and edge cases', () => {
  it('look where name:NAME endpoints resolve when no directory is given', async () => {
    // Names resolve from the uid: /run/user/UID if it is ours, else TMPDIR/unixipc-UID (socket-paths.md).
    const env = { TMPDIR: tempDir() };
    const uid = process.getuid!();
    const st = statSync(`/run/user/${uid}`, { throwIfNoEntry: false });
    const runtime =
      st?.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0
        ? `/run/user/${uid}`
        : join(env.TMPDIR, `unixipc-${uid}`);
    const tag = `t${process.pid}${Date.now()}`;
    const server = startCli(['serve', `name:${tag}app`, '--quiet'], { env });
    await server.waitFor(/^listening on /);
    await staleAt(join(runtime, `${tag}gone.sock`));
    const listed = await cliJson(['ls'], { env });
    expect(listed.json.dir).toBe(runtime);
    expect(listed.json.entries.map((e: any) => [e.path, e.state])).toEqual(
      expect.arrayContaining([
        [join(runtime, `${tag}app.sock`), 'live'],
        [join(runtime, `${tag}gone.sock`), 'stale'],
      ]),
    );
    const cleaned = await cliJson(['clean'], { env });
    expect(cleaned.json.removed).toEqual(
      expect.arrayContaining([
        { path: join(runtime, `${tag}gone.sock`), why: 'stale socket (connection refused)' },
      ]),
    );
    expect(existsSync(join(runtime, `${tag}app.sock`))).toBe(true);
  });

  it('says so for an empty directory', async () => {
    const empty = tempDir();
    expect((await cli(['ls', empty])).stdout).toBe(`${empty}: no sockets or descriptors`);
    expect((await cli(['clean', empty])).stdout).toBe(
      `0 removed, 0 kept (no sockets or descriptors in ${empty})`,
    );
  });

  it('never removes a socket whose probe cannot tell (permission denied), even its own', async () => {
    // Run as nobody, in nobody's directory, on nobody's stale socket: only its mode (0000, so
    // connecting is refused permission, not the connection) keeps clean from judging it stale.
    const top = tempDir();
    chmodSync(top, 0o755);
    const dir = join(top, 'nobody');
    mkdirSync(dir, { mode: 0o700 });
    await staleAt(join(dir, 'mine.sock'));
    await staleAt(join(dir, 'closed.sock'));
    chownSync(dir, NOBODY, NOBODY);
    for (const name of ['mine.sock', 'closed.sock']) chownSync(join(dir, name), NOBODY, NOBODY);
    chmodSync(join(dir, 'closed.sock'), 0);
    const asNobody = await cliJson(['clean', dir], { uid: NOBODY, gid: NOBODY });
    expect(asNobody.json.removed).toEqual([
      { path: join(dir, 'mine.sock'), why: 'stale socket (connection refused)' },
    ]);
    expect(asNobody.json.kept).toEqual([{ path: join(dir, 'closed.sock'), why: 'live socket' }]);
    expect(existsSync(join(dir, 'closed.sock'))).toBe(true);
  });
});
