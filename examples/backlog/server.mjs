// A server with a deliberately small listen backlog.
// Usage: node server.mjs SOCKET_PATH BACKLOG   (prints a summary and exits on SIGTERM)
import { serve } from 'unixipc';

const [socketPath, backlog] = process.argv.slice(2);
if (!socketPath || !backlog) {
  console.error('usage: node server.mjs SOCKET_PATH BACKLOG');
  process.exit(2);
}

let answered = 0;
let peak = 0;
const server = await serve(socketPath, {
  backlog: Number(backlog),
  handlers: {
    hello: (n) => {
      answered++;
      return `hi #${n}`;
    },
  },
});
server.on('connection', () => {
  peak = Math.max(peak, server.connectionCount);
});
console.log(`listening on ${server.endpoint} with backlog ${backlog}`);

process.once('SIGTERM', async () => {
  await server.close();
  console.log(`answered ${answered} hellos; at most ${peak} clients were connected at once`);
  process.exit(0);
});
