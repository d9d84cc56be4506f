// UDP sendto/recvfrom done right: request ids, a timeout, bounded retries, and a
// server that remembers answers so a retried request is not run twice.
// Loopback only; one datagram of each kind is dropped on purpose to show recovery.
// Usage: node examples/udp/run.mjs
import dgram from 'node:dgram';
import { once } from 'node:events';

const HOST = '127.0.0.1';
const RETRY_AFTER_MS = 150;
const MAX_TRIES = 4;

// --- server: deposit() is not idempotent, so running a retried request twice would be a bug ---
const server = dgram.createSocket('udp4');
let balance = 0;
const answered = new Map(); // "addr:port#id" -> encoded reply, for retries (bounded)
const dropped = new Set(); // the datagrams we lose on purpose, once each
server.on('message', (bytes, from) => {
  const request = JSON.parse(bytes.toString('utf8'));
  const key = `${from.address}:${from.port}#${request.id}`;
  if (request.id === 2 && !dropped.has('request 2')) {
    dropped.add('request 2');
    console.log('network: request 2 lost on the way to the server');
    return;
  }
  let reply = answered.get(key);
  if (reply) {
    console.log(`server: request ${request.id} again: resending the answer, not depositing twice`);
  } else {
    balance += request.amount;
    reply = Buffer.from(JSON.stringify({ id: request.id, balance }));
    answered.set(key, reply);
    if (answered.size > 1000) answered.delete(answered.keys().next().value);
    console.log(`server: request ${request.id}: deposit ${request.amount}, balance ${balance}`);
  }
  if (request.id === 3 && !dropped.has('reply 3')) {
    dropped.add('reply 3');
    console.log('network: reply 3 lost on the way back');
    return;
  }
  server.send(reply, from.port, from.address);
});
server.bind(0, HOST);
await once(server, 'listening');
const { port } = server.address();

// --- client: match replies to requests by id; give up after MAX_TRIES ---
const client = dgram.createSocket('udp4');
client.bind(0, HOST);
await once(client, 'listening');
const waiting = new Map(); // id -> resolve
client.on('message', (bytes) => {
  const reply = JSON.parse(bytes.toString('utf8'));
  const resolve = waiting.get(reply.id);
  // A late duplicate of an answer we already have: ignore it instead of taking it for the next one.
  if (resolve === undefined) return console.log(`client: stray reply ${reply.id} ignored`);
  waiting.delete(reply.id);
  resolve(reply);
});

let nextId = 1;
async function deposit(amount) {
  const id = nextId++;
  const datagram = Buffer.from(JSON.stringify({ id, amount }));
  const answer = new Promise((resolve) => waiting.set(id, resolve));
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    client.send(datagram, port, HOST);
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve(undefined), RETRY_AFTER_MS);
    });
    const reply = await Promise.race([answer, timedOut]);
    clearTimeout(timer);
    if (reply) return reply;
    console.log(`client: no answer to request ${id} within ${RETRY_AFTER_MS} ms (try ${attempt})`);
  }
  waiting.delete(id);
  throw new Error(`request ${id}: no answer after ${MAX_TRIES} tries`);
}

let exitCode = 0;
try {
  for (const amount of [10, 20, 30]) {
    const reply = await deposit(amount);
    console.log(`client: deposit ${amount} -> balance ${reply.balance}`);
  }
  console.log(`final balance ${balance} (10 + 20 + 30 = 60: each deposit ran exactly once)`);
  if (balance !== 60) exitCode = 1;
} catch (error) {
  console.error(error.message);
  exitCode = 1;
} finally {
  client.close();
  server.close();
}
process.exitCode = exitCode;
