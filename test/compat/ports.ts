import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port free right now on HOST, for a peer that cannot be told "port 0" (node-ipc turns 0 into
 * 8000). The kernel does not hand it out again at once, so the peer started next gets it.
 */
export function freePort(kind: 'tcp' | 'udp4' | 'udp6', host = kind === 'udp6' ? '::1' : '127.0.0.1') {
  return new Promise<number>((resolve, reject) => {
    if (kind === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
      return;
    }
    const socket = createSocket(kind);
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}
