// One handler, served three ways at once: AF_UNIX at a path, TCP on loopback,
// and TCP published at a path (the fallback: a descriptor file where the socket would be).
// Usage: node server.mjs DIR   (prints one JSON line with the endpoints; stops on SIGTERM)
import path from 'node:path';
import { serve } from 'unixipc';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node server.mjs DIR');
  process.exit(2);
}

const handlers = { ping: (value) => value };
const servers = {
  unix: await serve(path.join(dir, 'unix.sock'), { handlers, transport: 'unix' }),
  // Port 0: the kernel picks a free port; server.endpoint tells which.
  tcp: await serve('tcp://127.0.0.1:0', { handlers }),
  fallback: await serve(path.join(dir, 'fallback.sock'), { handlers, transport: 'tcp' }),
};
const endpoints = Object.fromEntries(
  Object.entries(servers).map(([name, server]) => [name, { endpoint: server.endpoint, path: server.path }]),
);
console.log(JSON.stringify(endpoints));

process.once('SIGTERM', async () => {
  // Each close removes its own socket or descriptor file.
  await Promise.all(Object.values(servers).map((server) => server.close()));
  process.exit(0);
});
