// Runs the time-stamping server and two interactive clients, their ">>" prompts fed by this script.
// Usage: node examples/timestamp/run.mjs
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start, tempDir } from '../shared/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Runs client.mjs like a person at its prompt: waits for each ">> ", types the next line, and
 * returns the session as it would look on a terminal.
 */
async function session(socketPath, lines) {
  const child = spawn(process.execPath, [path.join(here, 'client.mjs'), socketPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let shown = '';
  let unread = '';
  const typed = [...lines];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    unread += chunk;
    // Each prompt gets the next line, echoed as a terminal would show it.
    while (unread.includes('>> ')) {
      const at = unread.indexOf('>> ') + 3;
      const next = typed.shift() ?? '';
      shown += `${unread.slice(0, at)}${next}\n`;
      unread = unread.slice(at);
      child.stdin.write(`${next}\n`);
    }
  });
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`client exited with code ${code}`);
  return shown + unread;
}

const dir = tempDir('timestamp');
const socketPath = path.join(dir, 'stamp.sock');
const server = start('server', path.join(here, 'server.mjs'), [socketPath]);
let failed = false;
try {
  await server.waitFor(/^listening on /);
  // Two clients at once: each gets its own answers, neither waits for the other.
  const [alice, bob] = await Promise.all([
    session(socketPath, ['hello', 'the time, please', '']),
    session(socketPath, ['hi from bob', 'exit']),
  ]);
  for (const [name, text] of [
    ['alice', alice],
    ['bob', bob],
  ]) {
    for (const line of text.trimEnd().split('\n')) console.log(`${name.padEnd(6)}| ${line}`);
  }
  server.child.kill('SIGTERM');
  const [code] = await server.closed;
  if (code !== 0) throw new Error(`server exited with code ${code}`);
  if (fs.existsSync(socketPath)) throw new Error('the server left its socket file behind');
  console.log('done: every line came back time-stamped, to the client that sent it');
} catch (error) {
  failed = true;
  console.error(`timestamp example failed: ${error.message}`);
  server.child.kill('SIGKILL');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
