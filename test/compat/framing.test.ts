// The framing regression, the way node-ipc 9.x/10.x fail: one chunk holds a whole message and
// half of the next. unixipc/node-ipc delivers the first at once, in a server and in a client;
// node-ipc 10 holds it back until a read happens to end on the delimiter.
import { once } from 'node:events';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, killAll, type LineProcess, spawnLines, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const WHOLE_AND_HALF = '{"type":"hello","data":{"n":1}}\f{"type":"hello","da';
const REST = 'ta":{"n":2}}\f';

async function startServer(impl: string): Promise<{ server: LineProcess; socket: Socket }> {
  const root = `${tempDir('uipc-frame-')}/`;
  const server = spawnLines('node-ipc/server.mjs', [impl, 'unix', root, 'world', '0']);
  const path = JSON.parse((await server.waitFor(/^READY /)).slice('READY '.length));
  const socket = netConnect(path);
  await once(socket, 'connect');
  await server.waitFor(/^CONNECT$/);
  return { server, socket };
}

function ms(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e6;
}

describe('a whole message and half the next in one chunk', () => {
  it('our server delivers the whole one at once, the second when its end arrives', async () => {
    const { server, socket } = await startServer('ours');
    const sent = process.hrtime.bigint();
    socket.write(WHOLE_AND_HALF);
    await server.waitFor(/^HELLO \{"n":1\}/, 5_000);
    const latency = ms(sent);
    console.log(`our server: first message delivered ${latency.toFixed(1)} ms after its chunk was written`);
    expect(server.lines.some((line) => line.startsWith('HELLO {"n":2}'))).toBe(false);
    socket.write(REST);
    await server.waitFor(/^HELLO \{"n":2\}/);
    socket.destroy();
  });

  it('our client delivers the whole one at once, the second when its end arrives', async () => {
    const root = `${tempDir('uipc-frame-')}/`;
    const raw = createServer();
    raw.listen(`${root}test.world`);
    await once(raw, 'listening');
    const accepted = once(raw, 'connection');
    const client = spawnLines('node-ipc/client.mjs', ['ours', 'unix', root, 'world', '0', 'stay']);
    const [socket] = (await accepted) as [Socket];
    await client.waitFor(/^CONNECT$/);
    const sent = process.hrtime.bigint();
    socket.write('{"type":"hi","data":{"n":1}}\f{"type":"news","da');
    await client.waitFor(/^HI \{"n":1\}/, 5_000);
    console.log(`our client: first message delivered ${ms(sent).toFixed(1)} ms after its chunk was written`);
    expect(client.lines.some((line) => line.startsWith('NEWS'))).toBe(false);
    socket.write('ta":{"n":2}}\f');
    await client.waitFor(/^NEWS \{"n":2\}/);
    socket.destroy();
    raw.close();
  });

  it('(contrast) node-ipc 10 holds the whole one back until a read ends on the delimiter', async () => {
    const { server, socket } = await startServer('node-ipc10');
    const sent = process.hrtime.bigint();
    socket.write(WHOLE_AND_HALF);
    // The one wait in this file: how long node-ipc keeps a complete message to itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.lines.some((line) => line.startsWith('HELLO'))).toBe(false);
    socket.write(REST);
    await server.waitFor(/^HELLO \{"n":1\}/);
    console.log(
      `node-ipc 10 server: first message delivered ${ms(sent).toFixed(1)} ms after its chunk (held until the next one)`,
    );
    socket.destroy();
  });
});
