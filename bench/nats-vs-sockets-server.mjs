// The server side of bench/nats-vs-sockets.mjs, in its own process: one handler served over
// AF_UNIX, TCP loopback and NATS by unixipc, plus the raw floors (a length-prefixed echo on a
// bare net socket, and a bare NATS responder). Prints one JSON line with the endpoints.
// Usage: node bench/nats-vs-sockets-server.mjs DIR NATS_URL
import net from 'node:net';
import path from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { serve } from 'unixipc';
import { serve as serveNats } from 'unixipc/nats';

const [dir, natsUrl] = process.argv.slice(2);
const handlers = { ping: (value) => value };

const unix = await serve(path.join(dir, 'bench.sock'), { handlers, transport: 'unix' });
const tcp = await serve('tcp://127.0.0.1:0', { handlers });
const nats = await serveNats(`${natsUrl}/bench`, { handlers });

// Raw floor: 4-byte big-endian length, then the bytes, echoed back as they came.
const rawPath = path.join(dir, 'raw.sock');
const raw = net.createServer((socket) => {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const end = 4 + buffered.readUInt32BE(0);
      socket.write(buffered.subarray(0, end));
      buffered = buffered.subarray(end);
    }
  });
});
await new Promise((resolve) => raw.listen(rawPath, resolve));

// Raw NATS: a bare responder, no unixipc on either side.
const nc = await natsConnect({ servers: natsUrl.replace('nats://', '') });
nc.subscribe('rawbench.ping', { callback: (_error, msg) => msg.respond(msg.data) });
await nc.flush();

console.log(
  JSON.stringify({
    unix: unix.endpoint,
    tcp: tcp.endpoint,
    nats: nats.endpoint,
    raw: rawPath,
    rawNats: 'rawbench.ping',
  }),
);
process.once('SIGTERM', async () => {
  await Promise.all([unix.close(), tcp.close(), nats.close(), nc.close()]);
  raw.close();
  process.exit(0);
});
