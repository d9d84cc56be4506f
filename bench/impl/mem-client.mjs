// Idle connections for the memory workload: `node mem-client.mjs --client NAME --address JSON
// --count N`. Warms the server with one connection (prints {"warm":true}), waits for `go` on
// stdin, then opens N connections that each make one request and stay idle ({"ready":N}).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { makePayload } from './loops.mjs';

const BATCH = 50;
const { values } = parseArgs({
  options: {
    client: { type: 'string' },
    address: { type: 'string' },
    variant: { type: 'string', default: '{}' },
    payload: { type: 'string', default: 'bytes' },
    count: { type: 'string', default: '1000' },
  },
});
const adapter = await import(`./clients/${values.client}.mjs`);
const address = JSON.parse(values.address);
const variant = JSON.parse(values.variant);
const payload = makePayload(values.payload, 64);

async function openOne() {
  const conn = await adapter.open(address, { mode: 'idle', variant });
  await new Promise((resolve, reject) => {
    conn.onError = reject;
    conn.send(payload, resolve);
  });
  return conn;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const warm = await openOne();
await warm.close();
process.stdout.write(`${JSON.stringify({ warm: true })}\n`);
await lines.next(); // "go"

const count = Number(values.count);
const conns = [];
while (conns.length < count) {
  const batch = Math.min(BATCH, count - conns.length);
  conns.push(...(await Promise.all(Array.from({ length: batch }, openOne))));
}
process.stdout.write(`${JSON.stringify({ ready: conns.length })}\n`);
await lines.next(); // stdin closes or any line: done
process.exit(0);
