import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, connect, serve } from '../../lib/index.ts';
import { cleanup, killAll, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

describe.each(['unix', 'tcp'] as const)('what a server says of itself (%s)', (transport) => {
  it('names itself, its version and pid in the hello, and lists its methods with $methods', async () => {
    const path = join(tempDir(), 'intro.sock');
    const server = await serve(path, {
      transport,
      name: 'kv',
      version: '1.2.3',
      handlers: {
        get: (key: string) => key,
        async *watch() {
          yield 1;
        },
      },
    });
    server.handle('tail', () => (async function* () {})(), { stream: true });
    try {
      const client = await connect(path);
      expect(client.server).toEqual({
        protocol: 1,
        name: 'kv',
        version: '1.2.3',
        pid: process.pid,
        maxFrameBytes: 64 * 1024 * 1024,
      });
      const methods = [
        { name: 'get', stream: false },
        { name: 'tail', stream: true },
        { name: 'watch', stream: true },
      ];
      expect(await client.methods()).toEqual(methods);
      expect(await call(path, '$methods')).toEqual(methods);
      await client.close();
      expect(() => server.handle('$mine', () => 1)).toThrow(/reserved/);
    } finally {
      await server.close();
    }
  });

  it('says no name or version when given none, and its pid from another process', async () => {
    const path = join(tempDir(), 'anon.sock');
    const proc = await startOptionsServer(path, { transport });
    const client = await connect(path);
    expect(client.server.name).toBeUndefined();
    expect(client.server.version).toBeUndefined();
    expect(client.server.pid).toBe(proc.proc.pid);
    client.destroy();
  });
});
