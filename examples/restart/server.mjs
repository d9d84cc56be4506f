// A daemon that owns a socket path. Tells who it is; refuses to start over a live server.
// Usage: node server.mjs SOCKET_PATH   (stops cleanly on SIGTERM; exits 1 if it cannot listen)
import { isIpcError, serve } from 'unixipc';

const socketPath = process.argv[2];
if (!socketPath) {
  console.error('usage: node server.mjs SOCKET_PATH');
  process.exit(2);
}

let server;
try {
  server = await serve(socketPath, { handlers: { whoami: () => process.pid } });
} catch (error) {
  if (!isIpcError(error)) throw error;
  // A stable code to act on, and a message that says what is wrong.
  console.log(`refused to start: ${error.code}: ${error.message}`);
  process.exit(1);
}
console.log(`listening on ${server.endpoint} (pid ${process.pid})`);

process.once('SIGTERM', async () => {
  await server.close();
  console.log('closed, socket file removed');
  process.exit(0);
});
