// HTTP/1.1 over a socket path (or loopback TCP): POST /echo answers with the body.
import { createServer } from 'node:http';
import { listenOn } from './listen.mjs';

export function start({ transport, dir }) {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    });
  });
  // Idle keep-alive connections must survive the memory workload.
  server.keepAliveTimeout = 600_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.maxConnections = 5000;
  return listenOn(server, transport, dir, 'http');
}
