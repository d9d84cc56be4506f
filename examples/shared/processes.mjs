// What the example runners share: starting a script as its own process, the way a
// daemon and its clients really run, and a temporary directory for its socket.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

/**
 * Starts `node SCRIPT_PATH ...args`. Its stdout is read line by line, so a runner
 * can wait for "listening on" instead of sleeping and hoping; each line is
 * printed prefixed with NAME, so interleaved processes stay readable. stderr is
 * inherited untouched: an error shows up as it happened.
 * `options.quiet` keeps the lines to the runner (a child that prints data, not prose).
 */
export function start(name, scriptPath, args = [], { quiet = false } = {}) {
  const child = spawn(process.execPath, [scriptPath, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const waiters = new Set();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    if (!quiet) console.log(`${name.padEnd(6)}| ${line}`);
    for (const waiter of waiters) if (waiter.pattern.test(line)) waiter.resolve(line);
  });
  // 'close' comes after the child's output is fully read; resolves with [code, signal].
  const closed = once(child, 'close');
  // Resolves with the first line matching PATTERN; rejects, naming the process, if
  // none comes in time or the process exits first, so a runner never hangs.
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

/**
 * A fresh private directory (mode 0700) for sockets: never a fixed path, so runs
 * cannot collide. The `unixipc-LABEL-` prefix lets the tests spot one left behind;
 * the runner removes it when done.
 */
export function tempDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `unixipc-${label}-`));
}
