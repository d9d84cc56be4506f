// The time-stamping server of the lesson: answers each message with "[YYYY-MM-DD HH:MM:SS]: message",
// to every client at once (the lesson's served one client at a time).
// Usage: node server.mjs SOCKET_PATH   (stops cleanly on SIGTERM or SIGINT)
import { serve } from 'unixipc';

const socketPath = process.argv[2];
if (!socketPath) {
  console.error('usage: node server.mjs SOCKET_PATH');
  process.exit(2);
}

/** time.strftime("%Y-%m-%d %X") of the lesson: local time, to the second. */
function timestamp(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

const server = await serve(socketPath, {
  handlers: {
    stamp(text, ctx) {
      if (typeof text !== 'string') throw new TypeError('stamp needs a string');
      console.log(`client #${ctx.peer.id}: ${JSON.stringify(text)}`);
      return `[${timestamp()}]: ${text}`;
    },
  },
});
server.on('connection', (peer) => console.log(`client #${peer.id} connected`));
server.on('disconnect', (peer) => console.log(`client #${peer.id} left`));
console.log(`listening on ${server.endpoint}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await server.close();
    console.log('closed');
    process.exit(0);
  });
}
