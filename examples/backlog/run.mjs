// The listen backlog (半连接池, "half-open connection pool"): a burst of clients
// against a server with a small backlog, in its own process. Raw AF_UNIX connects
// fail with EAGAIN; unixipc's connect() retries that within connectTimeout.
// Usage: node examples/backlog/run.mjs
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'unixipc';
import { start, tempDir } from '../shared/processes.mjs';

const CLIENTS = 300;
const BACKLOG = 8;
const here = path.dirname(fileURLToPath(import.meta.url));

function tally(outcomes) {
  const counts = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  return Object.entries(counts)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
}

/** The naive client: one plain connect(), no retry. */
function rawConnect(socketPath) {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error) => resolve(`failed with ${error.code}`));
  });
}

/** The unixipc client: connect() (retrying EAGAIN within connectTimeout), then one request. */
async function ipcClient(socketPath, n) {
  const client = await connect(socketPath, { connectTimeout: 10_000, timeout: 5_000 });
  const answer = await client.request('hello', n);
  if (answer !== `hi #${n}`) throw new Error(`client ${n} got ${answer}`);
  return client;
}

const dir = tempDir('backlog');
const socketPath = path.join(dir, 'busy.sock');
const server = start('server', path.join(here, 'server.mjs'), [socketPath, String(BACKLOG)]);
let failed = false;
try {
  await server.waitFor(/^listening on /);

  console.log(`\n--- naive: ${CLIENTS} plain net.connect() at once ---`);
  const raw = await Promise.all(Array.from({ length: CLIENTS }, () => rawConnect(socketPath)));
  console.log(`result: ${tally(raw)}`);
  if (!raw.some((outcome) => outcome.includes('EAGAIN')))
    console.log('(no EAGAIN this time: the server kept up)');
  console.log('AF_UNIX does not queue past the backlog as TCP does: a full queue fails connect() at once');

  console.log(`\n--- unixipc: ${CLIENTS} connect() at once, each makes one request ---`);
  const started = performance.now();
  const settled = await Promise.allSettled(
    Array.from({ length: CLIENTS }, (_, n) => ipcClient(socketPath, n)),
  );
  const elapsed = performance.now() - started;
  const clients = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value);
  const outcomes = settled.map((s) =>
    s.status === 'fulfilled' ? 'connected and answered' : `failed with ${s.reason.code ?? s.reason.message}`,
  );
  console.log(`result: ${tally(outcomes)} in ${elapsed.toFixed(0)} ms`);
  await Promise.all(clients.map((client) => client.close()));
  if (clients.length !== CLIENTS) throw new Error(`${CLIENTS - clients.length} clients failed`);

  server.child.kill('SIGTERM');
  const [code] = await server.closed;
  if (code !== 0) throw new Error(`server exited with code ${code}`);
  console.log('done');
} catch (error) {
  failed = true;
  console.error(`backlog example failed: ${error.message}`);
  server.child.kill('SIGKILL');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
