import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { probePath } from '../../lib/index.ts';
import { cleanup, exited, killAll, startServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cli = (...args: string[]) => execa('node', [CLI, ...args], { reject: false, timeout: 15_000 });

describe('probePath and the unixipc CLI', () => {
  it.each(['unix', 'tcp'])(
    'tell live, stale and absent apart over %s, and call a method',
    async (transport) => {
      const path = join(tempDir(), 'svc.sock');
      expect(await probePath(path)).toEqual({ state: 'absent' });
      const server = await startServer(path, transport);
      const live = await probePath(path);
      expect(live.state).toBe('live');
      expect(live.kind).toBe(transport === 'unix' ? 'socket' : 'descriptor');
      const status = await cli('status', path);
      expect(status.exitCode).toBe(0);
      expect(status.stdout).toContain(`${path}: live`);
      const called = await cli('call', path, 'add', '{"a":20,"b":22}');
      expect(called.stdout).toBe('42');
      const failed = await cli('call', path, 'boom', '"bad"');
      expect(failed.exitCode).toBe(1);
      expect(failed.stderr).toContain('ERR_IPC_REMOTE: bad');
      server.proc.kill('SIGKILL');
      await exited(server.proc);
      expect((await probePath(path)).state).toBe('stale');
      expect((await cli('status', path)).stdout).toContain(': stale');
    },
  );

  it('reports something in the way as occupied, and changes nothing', async () => {
    const path = join(tempDir(), 'dir.sock');
    mkdirSync(path);
    expect(await probePath(path)).toEqual({ state: 'occupied', kind: 'directory' });
    const status = await cli('status', path);
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain('occupied directory');
  });

  it('prints usage and exits 2 without a command', async () => {
    const result = await cli();
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain('usage: unixipc');
  });
});
