// Runs the echo server and client as two processes and prints the conversation.
// Usage: node examples/echo/run.mjs
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts `node SCRIPT ...args`, prefixing its output with NAME; `waitFor` resolves on a matching line. */
function start(name, script, args) {
  const child = spawn(process.execPath, [path.join(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const waiters = new Set();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(`${name.padEnd(6)}| ${line}`);
    for (const waiter of waiters) if (waiter.pattern.test(line)) waiter.resolve(line);
  });
  // 'close' comes after the child's output is fully read; resolves with [code, signal].
  const closed = once(child, 'close');
  const waitFor = (pattern, ms = 5_000) =>
    new Promise((resolve, reject) => {
      let timer;
      const waiter = {
        pattern,
        resolve(line) {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(line);
        },
      };
      const fail = (why) => {
        clearTimeout(timer);
        waiters.delete(waiter);
        reject(new Error(`${name}: ${why} before printing a line that matches ${pattern}`));
      };
      timer = setTimeout(() => fail(`${ms} ms passed`), ms);
      waiters.add(waiter);
      closed.then(() => fail('it exited'));
    });
  return { child, closed, waitFor };
}

// A fresh private directory (mode 0700) for the socket: never a fixed path.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-echo-'));
const socketPath = path.join(dir, 'echo.sock');
const server = start('server', 'server.mjs', [socketPath]);
let failed = false;
try {
  await server.waitFor(/^listening on /);
  const client = start('client', 'client.mjs', [socketPath]);
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
