// Restarting a daemon over its socket file: crash, stale file, second starter, a file in the way.
// Usage: node examples/restart/run.mjs
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, isIpcError, serve } from 'unixipc';
import { start, tempDir } from '../shared/processes.mjs';

const daemon = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server.mjs');

async function whoami(target) {
  const client = await connect(target, { connectTimeout: 1_000, timeout: 1_000 });
  try {
    return await client.request('whoami');
  } finally {
    await client.close();
  }
}

/** The naive way: plain listen() on the path, as the seeds' bind() does. Resolves with the error code. */
function rawListen(socketPath) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error) => resolve(error.code));
    server.listen(socketPath, () => server.close(() => resolve('listening')));
  });
}

/** Linux only: sockets with local port PORT in TIME_WAIT (state 06 in /proc/net/tcp). */
function timeWaitCount(port) {
  try {
    const rows = fs.readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
    const hex = port.toString(16).toUpperCase().padStart(4, '0');
    return rows.filter((row) => {
      const [, local, , state] = row.trim().split(/\s+/);
      return local.endsWith(`:${hex}`) && state === '06';
    }).length;
  } catch {
    return undefined;
  }
}

function step(text) {
  console.log(`\n== ${text}`);
}

const dir = tempDir('restart');
const socketPath = path.join(dir, 'daemon.sock');
const started = [];
let failed = false;
try {
  step('1. start the daemon');
  const first = start('first', daemon, [socketPath]);
  started.push(first);
  await first.waitFor(/^listening on /);
  console.log(`client: whoami -> pid ${await whoami(socketPath)}`);

  step('2. it crashes (SIGKILL): no close(), the socket file stays behind');
  first.child.kill('SIGKILL');
  await first.closed;
  console.log(
    `client: ${path.basename(socketPath)} is still there, a socket: ${fs.lstatSync(socketPath).isSocket()}`,
  );
  console.log(`naive restart, plain listen() on the path: ${await rawListen(socketPath)}`);
  try {
    await whoami(socketPath);
  } catch (error) {
    console.log(`client: ${error.code}: ${error.message}`);
  }

  step('3. start it again: the stale socket (connection refused) is reclaimed');
  const second = start('second', daemon, [socketPath]);
  started.push(second);
  await second.waitFor(/^listening on /);
  console.log(
    `client: whoami -> pid ${await whoami(socketPath)} (pid ${second.child.pid} is the new daemon)`,
  );

  step('4. start another copy while it runs: refused, the live socket is left alone');
  const third = start('third', daemon, [socketPath]);
  started.push(third);
  await third.waitFor(/ERR_IPC_ADDR_IN_USE/);
  const [thirdCode] = await third.closed;
  console.log(`the copy exited with code ${thirdCode}; whoami still -> pid ${await whoami(socketPath)}`);

  step('5. a regular file where a socket should go: refused, and never deleted');
  const notes = path.join(dir, 'notes.txt');
  fs.writeFileSync(notes, 'my notes, not a socket\n');
  try {
    await serve(notes);
    throw new Error('serve() took over a regular file');
  } catch (error) {
    if (!isIpcError(error)) throw error;
    console.log(`serve(notes.txt): ${error.code}: ${error.message}`);
  }
  console.log(`notes.txt still holds: ${JSON.stringify(fs.readFileSync(notes, 'utf8'))}`);

  step('6. stop the daemon gracefully (SIGTERM): it removes its socket file');
  second.child.kill('SIGTERM');
  const [secondCode] = await second.closed;
  if (secondCode !== 0) throw new Error(`the daemon exited with code ${secondCode}`);
  console.log(`${path.basename(socketPath)} exists: ${fs.existsSync(socketPath)}`);

  step('7. and TCP? Node sets SO_REUSEADDR itself: the same port is free again at once');
  const tcp = await serve('tcp://127.0.0.1:0', { handlers: { whoami: () => process.pid } });
  const port = Number(tcp.endpoint.split(':').pop());
  const client = await connect(tcp.endpoint);
  await client.request('whoami');
  await tcp.close(); // the server hangs up first, so its end of the connection goes to TIME_WAIT
  await client.close();
  const waiting = timeWaitCount(port);
  if (waiting !== undefined) console.log(`connections on port ${port} in TIME_WAIT: ${waiting}`);
  const again = await serve(`tcp://127.0.0.1:${port}`);
  console.log(`listening on port ${port} again right away: ${again.endpoint}`);
  await again.close();
  console.log('\ndone');
} catch (error) {
  failed = true;
  console.error(`restart example failed: ${error.message}`);
} finally {
  for (const { child } of started)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
