import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from '../cli-helpers.ts';
import { cleanup, tempDir } from '../helpers.ts';

afterAll(cleanup);

const SUBCOMMANDS = ['call', 'ping', 'ls', 'clean', 'doctor', 'serve', 'bench', 'status', 'path'];
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

/** Where `{ name }` endpoints resolve for a process with TMPDIR (socket-paths.md). */
function runtimeDirFor(tmp: string): string {
  const uid = process.getuid!();
  const run = `/run/user/${uid}`;
  const st = statSync(run, { throwIfNoEntry: false });
  return st?.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0 ? run : join(tmp, `unixipc-${uid}`);
}

describe('the unixipc command', () => {
  it('prints the package version with --version', async () => {
    const result = await cli(['--version']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(version);
  });

  it('lists every subcommand in its usage, and gives each one --help', async () => {
    const usage = await cli(['--help']);
    expect(usage.exitCode).toBe(0);
    for (const name of SUBCOMMANDS) expect(usage.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const helps = await Promise.all(SUBCOMMANDS.map((name) => cli([name, '--help'])));
    helps.forEach((help, i) => {
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: unixipc ${SUBCOMMANDS[i]}`));
      expect(help.stderr).toBe('');
    });
    expect((await cli(['help', 'ping'])).stdout).toMatch(/^usage: unixipc ping/);
  });

  it('reports bad usage as unixipc: CODE: message with exit status 2', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^unixipc: ERR_USAGE: unknown command "frobnicate"/);
    const option = await cli(['ls', '--bogus']);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/^unixipc: ERR_PARSE_ARGS_UNKNOWN_OPTION: /);
    const missing = await cli(['call', '/tmp/x.sock']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^unixipc: ERR_USAGE: missing arguments/);
    const number = await cli(['ping', '/tmp/x.sock', '-c', 'lots']);
    expect(number.exitCode).toBe(2);
    expect(number.stderr).toMatch(/^unixipc: ERR_USAGE: --count must be an integer/);
    const json = await cli(['call', '/tmp/x.sock', 'echo', '{nope']);
    expect(json.exitCode).toBe(2);
    expect(json.stderr).toMatch(/^unixipc: ERR_USAGE: params must be JSON/);
  });

  it('reports a failure with its code and exit status 1', async () => {
    const result = await cli(['call', join(tempDir(), 'none.sock'), 'echo']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^unixipc: ERR_IPC_CONNECT: cannot connect to .*none\.sock: no such file/);
    const dir = await cli(['ls', join(tempDir(), 'missing')]);
    expect(dir.exitCode).toBe(1);
    expect(dir.stderr).toMatch(/^unixipc: ENOENT: /);
  });

  it('resolves service names with path (and name:NAME endpoints the same way)', async () => {
    // Names resolve from the uid (/run/user/UID if it is ours, else TMPDIR/unixipc-UID), never from XDG_RUNTIME_DIR.
    const env = { TMPDIR: tempDir(), XDG_RUNTIME_DIR: tempDir() };
    const plain = await cli(['path', 'kv'], { env });
    expect(plain.stdout).toBe(join(runtimeDirFor(env.TMPDIR), 'kv.sock'));
    const { json } = await cliJson(['path', 'kv', '--dir', '/srv/run']);
    expect(json).toEqual({ name: 'kv', path: '/srv/run/kv.sock' });
    const status = await cliJson(['status', 'name:kv'], { env });
    expect(status.exitCode).toBe(1);
    expect(status.json).toEqual({ path: 'name:kv', state: 'absent' });
  });
});
