// Runs server.mjs and client.mjs as two processes (run.mjs runs this under strace -f, which
// follows both): the server first, the client once the server listens, then SIGTERM to the server.
// Usage: node pair.mjs ENDPOINT
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from '../shared/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const server = start('server', path.join(here, 'server.mjs'), [process.argv[2]], { quiet: true });
try {
  // tcp://127.0.0.1:0 becomes the port the kernel picked: the client dials what the server reports.
  const listening = await server.waitFor(/^listening on /);
  const endpoint = listening.slice('listening on '.length).replace(/^unix:/, '');
  const client = start('client', path.join(here, 'client.mjs'), [endpoint], { quiet: true });
  const [code] = await client.closed;
  if (code !== 0) throw new Error(`client exited with code ${code}`);
  server.child.kill('SIGTERM');
  const [serverCode] = await server.closed;
  if (serverCode !== 0) throw new Error(`server exited with code ${serverCode}`);
} catch (error) {
  server.child.kill('SIGKILL');
  console.error(`pair failed: ${error.message}`);
  process.exitCode = 1;
}
