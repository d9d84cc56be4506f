// hello/hi chat client: joins, says hello, prints the answer and the room's events.
// Usage: node client.mjs SOCKET_PATH NAME [STAY_FOR]
//   STAY_FOR: stay connected until that person has joined and left (at most 5 s).
import { connect } from 'unixipc';

const [socketPath, me, stayFor] = process.argv.slice(2);
if (!socketPath || !me) {
  console.error('usage: node client.mjs SOCKET_PATH NAME [STAY_FOR]');
  process.exit(2);
}

const client = await connect(socketPath, { timeout: 2_000 });
client.on('joined', ({ name, online }) => console.log(`* ${name} joined (online: ${online.join(', ')})`));
client.on('left', ({ name }) => console.log(`* ${name} left`));
// Subscribe first, so that "left" cannot slip past before we listen for it.
const stayed = stayFor === undefined ? undefined : waitUntilLeft(stayFor, 5_000);

await client.request('join', me);
console.log(`${me}: hello`);
console.log(`server: ${await client.request('say', 'hello')}`);
if (stayed) await stayed;
await client.close();
console.log(`${me} hung up`);

function waitUntilLeft(name, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not come and go within ${ms} ms`)), ms);
    client.on('left', (event) => {
      if (event.name !== name) return;
      clearTimeout(timer);
      resolve();
    });
  });
}
