// Runs the chat server and two clients, alice and bob, as three processes.
// Usage: node examples/chat/run.mjs
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
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-chat-'));
const socketPath = path.join(dir, 'chat.sock');
const server = start('server', 'server.mjs', [socketPath]);
const clients = [];
let failed = false;
try {
  await server.waitFor(/^listening on /);
  // alice stays until bob has come and gone, so she sees both broadcasts.
  const alice = start('alice', 'client.mjs', [socketPath, 'alice', 'bob']);
  clients.push(alice);
  await alice.waitFor(/^server: hi$/);
  const bob = start('bob', 'client.mjs', [socketPath, 'bob']);
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
