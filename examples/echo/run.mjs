// Runs the echo server and client as two processes and prints the conversation.
// Usage: node examples/echo/run.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, tempDir } from '../shared/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

const dir = tempDir('echo');
const socketPath = path.join(dir, 'echo.sock');
const server = start('server', path.join(here, 'server.mjs'), [socketPath]);
let failed = false;
try {
  await server.waitFor(/^listening on /);
  const client = start('client', path.join(here, 'client.mjs'), [socketPath]);
  const [code] = await client.closed;
  if (code !== 0) throw new Error(`client exited with code ${code}`);

  server.child.kill('SIGTERM');
  const [serverCode] = await server.closed;
  if (serverCode !== 0) throw new Error(`server exited with code ${serverCode}`);
  if (fs.existsSync(socketPath)) throw new Error('the server left its socket file behind');
  console.log('done: both processes exited 0 and the socket file is gone');
} catch (error) {
  failed = true;
  console.error(`echo example failed: ${error.message}`);
  server.child.kill('SIGKILL');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
