// Runs the chat server and two clients, alice and bob, as three processes.
// Usage: node examples/chat/run.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, tempDir } from '../shared/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const dir = tempDir('chat');
const socketPath = path.join(dir, 'chat.sock');
const server = start('server', path.join(here, 'server.mjs'), [socketPath]);
const clients = [];
let failed = false;
try {
  await server.waitFor(/^listening on /);
  // alice stays until bob has come and gone, so she sees both broadcasts.
  const alice = start('alice', path.join(here, 'client.mjs'), [socketPath, 'alice', 'bob']);
  clients.push(alice);
  await alice.waitFor(/^server: hi$/);
  const bob = start('bob', path.join(here, 'client.mjs'), [socketPath, 'bob']);
  clients.push(bob);
  for (const [name, client] of [
    ['bob', bob],
    ['alice', alice],
  ]) {
    const [code] = await client.closed;
    if (code !== 0) throw new Error(`${name} exited with code ${code}`);
  }
  server.child.kill('SIGTERM');
  const [serverCode] = await server.closed;
  if (serverCode !== 0) throw new Error(`server exited with code ${serverCode}`);
  if (fs.existsSync(socketPath)) throw new Error('the server left its socket file behind');
  console.log('done: everyone said hello, got hi, and hung up');
} catch (error) {
  failed = true;
  console.error(`chat example failed: ${error.message}`);
  for (const { child } of [server, ...clients]) child.kill('SIGKILL');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
