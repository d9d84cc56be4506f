import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { cleanup, codeOf, exited, killAll, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

describe.each(['unix', 'tcp'] as const)('client.ping() (%s)', (transport) => {
  it('resolves with the round trip of a PING, each PONG matched to its own ping', async () => {
    const path = join(tempDir(), 'ping.sock');
    await startOptionsServer(path, { transport });
    const client = await connect(path, { heartbeatInterval: 0 });
    try {
      const times = await Promise.all([1, 2, 3].map(() => client.ping({ timeout: 5_000 })));
      for (const ms of times) {
        expect(ms).toBeGreaterThan(0);
        expect(ms).toBeLessThan(5_000);
      }
      expect(await client.request('echo', 'after')).toBe('after');
    } finally {
      client.destroy();
    }
  });

  it('fails with ERR_IPC_TIMEOUT when no PONG comes, and ERR_IPC_CLOSED when the server dies', async () => {
    const path = join(tempDir(), 'ping.sock');
    const server = await startOptionsServer(path, { transport });
    const client = await connect(path, { heartbeatInterval: 0 });
    try {
      server.proc.kill('SIGSTOP');
      expect(await codeOf(client.ping({ timeout: 200 }))).toBe('ERR_IPC_TIMEOUT');
      const pending = codeOf(client.ping({ timeout: 10_000 }));
      server.proc.kill('SIGKILL');
      await exited(server.proc);
      expect(await pending).toBe('ERR_IPC_CLOSED');
      expect(await codeOf(client.ping())).toBe('ERR_IPC_CLOSED');
    } finally {
      client.destroy();
    }
  });
});
