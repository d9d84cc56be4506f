import { createServer } from 'node:net';

/**
 * A free loopback port, for libraries that cannot listen on port 0 and report
 * the port (node-ipc treats 0 as "use the default 8000"). The kernel picks it.
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
