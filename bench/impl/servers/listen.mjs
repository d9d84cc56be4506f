import { join } from 'node:path';

/** Listens a net or http server on a socket path in DIR or on 127.0.0.1:0; resolves with its address. */
export function listenOn(server, transport, dir, name) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const options =
      transport === 'unix' ? { path: join(dir, `${name}.sock`) } : { host: '127.0.0.1', port: 0 };
    server.listen({ ...options, backlog: 2048 }, () => {
      server.removeListener('error', reject);
      resolve(transport === 'unix' ? options : { host: '127.0.0.1', port: server.address().port });
    });
  });
}
