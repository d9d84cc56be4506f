// hello/hi chat server: answers "hi" to "hello", tells everyone when someone joins or leaves.
// Usage: node server.mjs SOCKET_PATH   (stops cleanly on SIGTERM or SIGINT)
import { serve } from 'unixipc';

const socketPath = process.argv[2];
if (!socketPath) {
  console.error('usage: node server.mjs SOCKET_PATH');
  process.exit(2);
}

/** Who is on which connection: peer id -> name. */
const names = new Map();
const online = () => [...names.values()];

const server = await serve(socketPath, {
  handlers: {
    join(name, ctx) {
      if (typeof name !== 'string' || name.length === 0) throw new TypeError('join needs a name');
      names.set(ctx.peer.id, name);
      console.log(`${name} joined`);
      // An event to every connected client, the newcomer included.
      server.broadcast('joined', { name, online: online() });
      return { online: online() };
    },
    say(text, ctx) {
      const name = names.get(ctx.peer.id) ?? `client #${ctx.peer.id}`;
      console.log(`${name}: ${text}`);
      // The seed's server typed each answer with input(), one client at a time; this one answers everyone.
      return text === 'hello' ? 'hi' : `you said "${text}"`;
    },
  },
});
server.on('disconnect', (peer) => {
  const name = names.get(peer.id);
  if (name === undefined) return;
  names.delete(peer.id);
  console.log(`${name} left`);
  server.broadcast('left', { name, online: online() });
});
console.log(`listening on ${server.endpoint}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await server.close();
    console.log('closed');
    process.exit(0);
  });
}
