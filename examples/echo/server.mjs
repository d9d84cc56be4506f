// Echo server: the seeds' TCP echo server, over a socket path.
// Usage: node server.mjs SOCKET_PATH   (stops cleanly on SIGTERM or SIGINT)
import { serve } from 'unixipc';

const socketPath = process.argv[2];
if (!socketPath) {
  console.error('usage: node server.mjs SOCKET_PATH');
  process.exit(2);
}

const server = await serve(socketPath, {
  handlers: {
    // One request carries one whole line, whatever its length: no recv(1024) to cut it.
    echo: (line) => line,
  },
});
server.on('connection', (peer) => console.log(`client #${peer.id} connected`));
server.on('disconnect', (peer) => console.log(`client #${peer.id} hung up`));
// The parent waits for this line before starting the client.
console.log(`listening on ${server.endpoint}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    // Graceful: finishes in-flight requests and removes the socket file it created.
    // (serve(path, { handleSignals: true }) does the same, without the goodbye line.)
    await server.close();
    console.log('closed, socket file removed');
    process.exit(0);
  });
}
