// unixipc/node-ipc against real node-ipc, each side in its own process, both directions, over a
// unix socket and TCP: @achrinza/node-ipc 9.x and 10.x (the API @types/node-ipc describes) and
// node-ipc 14 (the newest; it runs on Node 20 although it asks for 22).
import { existsSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, exited, killAll, type LineProcess, spawnLines, tempDir } from '../helpers.ts';
import { freePort } from './ports.ts';

afterEach(killAll);
afterAll(cleanup);

const PEERS = ['node-ipc9', 'node-ipc10', 'node-ipc14'] as const;
const TRANSPORTS = ['unix', 'tcp'] as const;

interface Setup {
  root: string;
  port: string;
}

async function setup(transport: 'unix' | 'tcp'): Promise<Setup> {
  const root = `${tempDir('uipc-nipc-')}/`;
  return { root, port: transport === 'tcp' ? String(await freePort('tcp')) : '0' };
}

function server(impl: string, transport: string, s: Setup): LineProcess {
  return spawnLines('node-ipc/server.mjs', [impl, transport, s.root, 'world', s.port]);
}

function client(impl: string, transport: string, s: Setup, stay = false): LineProcess {
  return spawnLines('node-ipc/client.mjs', [
    impl,
    transport,
    s.root,
    'world',
    s.port,
    ...(stay ? ['stay'] : []),
  ]);
}

/** The JSON words of a line such as `HELLO {"n":1} client-7`. */
function words(line: string): unknown[] {
  return line
    .split(' ')
    .slice(1)
    .map((word) => JSON.parse(word));
}

describe.each(TRANSPORTS)('over %s', (transport) => {
  // Each client starts first: it must retry until the server, started once it has failed, is up.
  describe.each(PEERS)('against %s', (peer) => {
    it(`our server, ${peer}'s client (started first): emit, emit(socket), broadcast, connect, socket.disconnected`, async () => {
      const s = await setup(transport);
      const c = client(peer, transport, s);
      await c.waitFor(/^ERROR "(ENOENT|ECONNREFUSED)"/);
      const srv = server('ours', transport, s);
      await srv.waitFor(/^READY/);
      await c.waitFor(/^CONNECT$/);
      await srv.waitFor(/^CONNECT$/);
      const hello = words(await srv.waitFor(/^HELLO /));
      expect(hello[0]).toEqual({ id: expect.stringMatching(/^client-\d+$/), n: 1 });
      // The first id the client claims names its socket.
      expect(hello[1]).toBe((hello[0] as { id: string }).id);
      expect(words(await c.waitFor(/^HI /))).toEqual([{ n: 1, impl: 'ours' }]);
      expect(words(await c.waitFor(/^NEWS /))).toEqual([{ n: 1 }]);
      await srv.waitFor(/^BYE$/);
      await c.waitFor(/^BYEACK$/);
      expect(words(await srv.waitFor(/^SOCKET_DISCONNECTED /))).toEqual([hello[1]]);
      await exited(c.proc);
      // node-ipc calls connectTo's callback before connecting.
      expect(c.lines).toContain('CALLBACK false');
    });

    it(`${peer}'s server, our client (started first): retries, then a real connect, and disconnect keeps the last emit`, async () => {
      const s = await setup(transport);
      const c = client('ours-cjs', transport, s);
      await c.waitFor(/^ERROR "ERR_IPC_CONNECT"$/);
      const srv = server(peer, transport, s);
      await srv.waitFor(/^READY/);
      await c.waitFor(/^CONNECT$/);
      const hello = words(await srv.waitFor(/^HELLO /));
      expect(hello[0]).toEqual({ id: expect.stringMatching(/^client-\d+$/), n: 1 });
      expect(words(await c.waitFor(/^HI /))).toEqual([{ n: 1, impl: peer }]);
      expect(words(await c.waitFor(/^NEWS /))).toEqual([{ n: 1 }]);
      // Our client emitted 'bye' and disconnected at once: the server still got it.
      await srv.waitFor(/^BYE$/);
      await c.waitFor(/^DISCONNECT$/);
      await c.waitFor(/^DESTROY$/);
      await srv.waitFor(/^SOCKET_DISCONNECTED /);
      await exited(c.proc);
      // Our connectTo callback ran once connected, right before the connect event; no
      // 'disconnect' was published for the attempts that failed before the server was up.
      const callback = c.lines.indexOf('CALLBACK true');
      expect(callback).toBeGreaterThanOrEqual(0);
      expect(c.lines[callback + 1]).toBe('CONNECT');
      expect(c.lines.filter((line) => line === 'DISCONNECT')).toHaveLength(1);
    });

    it(`broadcast reaches every client: our server with ${peer}'s clients, ${peer}'s server with ours`, async () => {
      for (const [serverImpl, clientImpl] of [
        ['ours', peer],
        [peer, 'ours'],
      ] as const) {
        const s = await setup(transport);
        const srv = server(serverImpl, transport, s);
        await srv.waitFor(/^READY/);
        const first = client(clientImpl, transport, s, true);
        await first.waitFor(/^NEWS /);
        const second = client(clientImpl, transport, s, true);
        await second.waitFor(/^NEWS /);
        // The second client's hello was broadcast to the first as well.
        await expect
          .poll(() => first.lines.filter((line) => line.startsWith('NEWS ')).length, { timeout: 10_000 })
          .toBe(2);
        await killAll();
      }
    });
  });

  it('ours against ours, ESM server and CommonJS client', async () => {
    const s = await setup(transport);
    const srv = server('ours', transport, s);
    const ready = await srv.waitFor(/^READY/);
    if (transport === 'unix') expect(existsSync(words(ready)[0] as string)).toBe(true);
    const c = client('ours-cjs', transport, s);
    expect(words(await c.waitFor(/^HI /))).toEqual([{ n: 1, impl: 'ours' }]);
    await srv.waitFor(/^BYE$/);
    await c.waitFor(/^DESTROY$/);
  });
});
