import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli, cliJson, killClis, startCli } from '../cli-helpers.ts';
import { cleanup, exited, killAll, startFixture, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(async () => {
  await killClis();
  await killAll();
});
afterAll(cleanup);

const NOBODY = 65534;

interface Finding {
  level: 'ok' | 'note' | 'problem';
  id: string;
  message: string;
  fix?: string;
  details?: string[];
}

async function doctor(args: string[], options = {}) {
  const { exitCode, json } = await cliJson<{ ok: boolean; error?: { code: string }; findings: Finding[] }>(
    ['doctor', ...args],
    options,
  );
  const ids = json.findings.map((f) => `${f.level} ${f.id}`);
  const find = (id: string) => json.findings.find((f) => f.id === id);
  return { exitCode, json, ids, find };
}

async function staleAt(path: string, transport: 'unix' | 'tcp' = 'unix'): Promise<number> {
  const server = await startOptionsServer(path, { transport });
  const pid = server.proc.pid!;
  server.proc.kill('SIGKILL');
  await exited(server.proc);
  return pid;
}

describe('unixipc doctor', () => {
  it('says a live server works, with its hello and methods', async () => {
    const path = join(tempDir(), 'app.sock');
    const server = startCli(['serve', path, '--name', 'app', '--quiet']);
    await server.waitFor(/^listening on /);
    const { exitCode, ids, find, json } = await doctor([path]);
    expect(exitCode).toBe(0);
    expect(json.ok).toBe(true);
    expect(ids).toEqual(['ok live']);
    expect(find('live')!.message).toMatch(
      new RegExp(`^a server answers over AF_UNIX: "app" .*pid ${server.proc.pid}`),
    );
    expect(find('live')!.details).toEqual(['methods: count (stream), echo, sleep, time, upper']);
    const text = await cli(['doctor', path]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^verdict: connecting works$/m);
  });

  it('finds nothing there, and names similar sockets in the directory', async () => {
    const dir = tempDir();
    await startOptionsServer(join(dir, 'app.sock'));
    const { exitCode, ids, find, json } = await doctor([join(dir, 'apps.sock')]);
    expect(exitCode).toBe(1);
    expect(json.error?.code).toBe('ERR_IPC_CONNECT');
    expect(ids).toEqual(['problem nothing-there']);
    expect(find('nothing-there')!.details).toEqual([`did you mean ${join(dir, 'app.sock')}? (live socket)`]);
    const missing = await doctor([join(dir, 'no', 'such', 'app.sock')]);
    expect(missing.ids).toEqual(['problem no-directory']);
    expect(missing.find('no-directory')!.message).toBe(
      `${join(dir, 'no')} does not exist, so nothing can be listening at ${join(dir, 'no', 'such', 'app.sock')}`,
    );
  });

  it('explains a stale socket and a stale TCP descriptor (servers killed with SIGKILL)', async () => {
    const dir = tempDir();
    await staleAt(join(dir, 'old.sock'));
    const socket = await doctor([join(dir, 'old.sock')]);
    expect(socket.exitCode).toBe(1);
    expect(socket.ids).toEqual(['problem stale-socket']);
    expect(socket.find('stale-socket')!.fix).toContain(`unixipc clean ${join(dir, 'old.sock')}`);
    const pid = await staleAt(join(dir, 'old-tcp.sock'), 'tcp');
    const descriptor = await doctor([join(dir, 'old-tcp.sock')]);
    expect(descriptor.ids).toEqual(['note descriptor', 'problem stale-descriptor']);
    expect(descriptor.find('stale-descriptor')!.message).toContain(
      `its server is gone (pid ${pid} is not running)`,
    );
  });

  it('explains something that is not a socket, and leaves it alone', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file.sock'), 'hello\n');
    mkdirSync(join(dir, 'dir.sock'));
    const file = await doctor([join(dir, 'file.sock')]);
    expect(file.ids).toEqual(['problem not-a-socket']);
    expect(file.find('not-a-socket')!.message).toContain('is a regular file (6 bytes), not a socket');
    expect(file.find('not-a-socket')!.fix).toContain('ERR_IPC_PATH_OCCUPIED');
    expect((await doctor([join(dir, 'dir.sock')])).find('not-a-socket')!.message).toContain('is a directory');
  });

  it("explains another user's socket, which --trust-uid accepts", async () => {
    const path = join(tempDir(), 'theirs.sock');
    await startOptionsServer(path);
    chownSync(path, NOBODY, NOBODY);
    const { exitCode, ids, find, json } = await doctor([path]);
    expect(exitCode).toBe(1);
    expect(json.error?.code).toBe('ERR_IPC_UNTRUSTED');
    expect(ids).toEqual(['problem untrusted-owner']);
    // Names as /etc/passwd and /etc/group give them (the group of 65534 is nogroup or nobody).
    expect(find('untrusted-owner')!.details).toEqual([
      expect.stringMatching(
        new RegExp(`^${path}: owner uid 65534( \\(\\w+\\))?, group gid 65534( \\(\\w+\\))?, mode 0600$`),
      ),
    ]);
    expect(find('untrusted-owner')!.fix).toMatch(/^--trust-uid 65534 /);
    const trusted = await doctor([path, '--trust-uid', String(NOBODY)]);
    expect(trusted.exitCode).toBe(0);
    expect(trusted.ids).toEqual(['ok live']);
  });

  it('explains permissions: the directory that blocks, and a socket without write permission', async () => {
    const dir = tempDir(); // 0700, root's: nobody cannot enter it
    const path = join(dir, 'app.sock');
    await startOptionsServer(path);
    const blocked = await doctor([path], { uid: NOBODY, gid: NOBODY });
    expect(blocked.exitCode).toBe(1);
    expect(blocked.ids).toEqual(['problem permission']);
    expect(blocked.find('permission')!.message).toMatch(
      new RegExp(`^you \\(uid 65534( \\(\\w+\\))?, .*cannot enter ${dir},`),
    );
    expect(blocked.find('permission')!.details).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${dir}: owner uid 0( \\(root\\))?, group gid 0( \\(\\w+\\))?, mode 0700 \\(entering needs x permission\\)$`,
        ),
      ),
    ]);
    chmodSync(dir, 0o755);
    const socket = await doctor([path], { uid: NOBODY, gid: NOBODY });
    expect(socket.ids).toEqual(['problem permission']);
    expect(socket.find('permission')!.message).toContain(
      'connecting to a socket needs write permission on it',
    );
    expect(socket.find('permission')!.details).toEqual([
      expect.stringMatching(
        new RegExp(`^${path}: owner uid 0( \\(root\\))?, group gid 0( \\(\\w+\\))?, mode 0600$`),
      ),
    ]);
  });

  it('explains paths over the sun_path limit', async () => {
    const deep = join(tempDir(), 'd'.repeat(60), 'e'.repeat(40));
    mkdirSync(deep, { recursive: true });
    // A short file name: served and reached through /proc/self/fd; a note, and it works.
    const short = join(deep, 'app.sock');
    const server = startCli(['serve', short, '--quiet']);
    await server.waitFor(/^listening on unix:/);
    const reached = await doctor([short]);
    expect(reached.exitCode).toBe(0);
    expect(reached.ids).toEqual(['note long-path', 'ok live']);
    // A file name too long even for the alias: nothing can serve it over AF_UNIX.
    const long = join(deep, `${'n'.repeat(90)}.sock`);
    const nothing = await doctor([long]);
    expect(nothing.ids).toEqual(['problem path-too-long', 'problem nothing-there']);
    // ... and a server under transport 'auto' serves it over TCP with a descriptor: then it is a note.
    const fallback = startCli(['serve', long, '--quiet']);
    await fallback.waitFor(/^listening on tcp:/);
    const served = await doctor([long]);
    expect(served.exitCode).toBe(0);
    expect(served.ids).toEqual(['note path-too-long', 'note descriptor', 'ok live']);
  });

  it('explains something that accepts connections but never says hello', async () => {
    const path = join(tempDir(), 'silent.sock');
    expect((await startFixture('silent-server.mjs', [path])).line).toMatch(/^READY /);
    const { exitCode, ids, find } = await doctor([path, '--timeout', '300']);
    expect(exitCode).toBe(1);
    expect(ids).toEqual(['problem no-hello']);
    expect(find('no-hello')!.message).toMatch(
      /^something accepts connections there but did not answer a unixipc hello within 300 ms/,
    );
  });

  it('explains an endpoint it cannot parse, and a tcp:// port nobody listens on', async () => {
    const bad = await doctor(['tcp://nowhere']);
    expect(bad.ids).toEqual(['problem bad-endpoint']);
    expect(bad.json.error?.code).toBe('ERR_IPC_BAD_ENDPOINT');
    const refused = await doctor(['tcp://127.0.0.1:1']);
    expect(refused.exitCode).toBe(1);
    expect(refused.ids).toEqual(['problem connect-failed']);
    expect(refused.find('connect-failed')!.message).toContain('connection refused');
  });
});
