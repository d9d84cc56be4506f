// serveNet(host, port, 'udp4' | 'udp6') against node-ipc's UDP server, both directions: one
// message per datagram, answered to the sender's { address, port }.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, killAll, spawnLines } from '../helpers.ts';
import { freePort } from './ports.ts';

afterEach(killAll);
afterAll(cleanup);

const PEERS = ['node-ipc9', 'node-ipc10', 'node-ipc14'] as const;
const TYPES = [
  ['udp4', '127.0.0.1'],
  ['udp6', '::1'],
] as const;

/** Starts a UDP peer that listens, then one that sends it 'hello'; both must see the exchange. */
async function exchange(listener: string, sender: string, type: string, host: string) {
  const port = await freePort(type as 'udp4' | 'udp6');
  const a = spawnLines('node-ipc/udp.mjs', [listener, type, host, String(port)]);
  await a.waitFor(/^READY /);
  const senderPort = await freePort(type as 'udp4' | 'udp6');
  const b = spawnLines('node-ipc/udp.mjs', [sender, type, host, String(senderPort), String(port)]);
  const hello = await a.waitFor(/^HELLO /);
  expect(hello).toBe(`HELLO ${JSON.stringify({ n: 7, from: sender })} ${senderPort}`);
  expect(await b.waitFor(/^HI /)).toBe(`HI ${JSON.stringify({ n: 7, impl: listener })}`);
}

describe.each(TYPES)('%s', (type, host) => {
  describe.each(PEERS)('with %s', (peer) => {
    it(`our UDP server answers ${peer}'s`, async () => {
      await exchange('ours', peer, type, host);
    });

    it(`${peer}'s UDP server answers ours`, async () => {
      await exchange(peer, 'ours', type, host);
    });
  });
});
