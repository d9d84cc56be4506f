// kvd and kv, run the way a user runs them: each `kv` is a process of its own, and the daemon is
// started by the first of them. Shows reuse, a watch, errors, kill -9, an upgrade and a clean stop.
// Usage: node examples/daemon-cli/run.mjs
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { tempDir } from '../shared/processes.mjs';

const KV = path.join(import.meta.dirname, 'kv.mjs');
const dir = tempDir('daemon-cli');
const socketPath = path.join(dir, 'kvd.sock');
const logPath = `${socketPath}.log`; // where connectOrSpawn sends the daemon's output
// KV_DIR puts the daemon's socket in our temp dir (a real one uses { name: 'kvd' }); KV_VERSION
// stands in for the version of the installed package.
const env = { ...process.env, KV_DIR: dir, KV_VERSION: '1.0.0' };

const say = (text) => console.log(text);
/** The run exits 0 only if what it shows really happened. */
const check = (ok, what) => {
  if (!ok) throw new Error(`expected ${what}`);
};
const step = (text) => console.log(`\n== ${text}`);
const shown = (arg) => (/^[\w.@%+=:,/-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);

/** Runs `kv ARGS` as its own process, prints the command and what it printed; resolves with its output. */
function kv(args, version = '1.0.0') {
  const prefix = version === '1.0.0' ? '' : `KV_VERSION=${version} `;
  say(`$ ${prefix}kv ${args.map(shown).join(' ')}`);
  return new Promise((resolve) => {
    const options = { env: { ...env, KV_VERSION: version }, timeout: 20_000 };
    execFile(process.execPath, [KV, ...args], options, (error, stdout, stderr) => {
      for (const line of `${stdout}${stderr}`.split('\n').filter(Boolean)) say(`  ${line}`);
      resolve({ code: error ? (error.code ?? error.signal) : 0, stdout, stderr });
    });
  });
}

/** The daemon's pid and version, from `kv status` (it reads them from the daemon's hello). */
async function status() {
  const { stdout } = await kv(['status']);
  const match = /^kvd (\S+) pid (\d+) /.exec(stdout);
  if (!match) throw new Error(`kv status printed ${JSON.stringify(stdout)}`);
  return { version: match[1], pid: Number(match[2]) };
}

/** `kv watch PREFIX` in the background: its lines (stdout and stderr) are printed and can be waited for. */
function watch(prefix) {
  say(`$ kv watch ${prefix} &`);
  const child = spawn(process.execPath, [KV, 'watch', prefix], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const waiters = new Set();
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      say(`  watch | ${line}`);
      lines.push(line);
      for (const waiter of waiters) waiter();
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  /** Resolves once the watch has printed LINE (counting from line FROM), or fails after MS. */
  const waitFor = (line, from = 0, ms = 15_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!lines.slice(from).includes(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`the watch did not print ${JSON.stringify(line)} within ${ms} ms`));
      }, ms);
      waiters.add(check);
      check();
    });
  return { child, lines, waitFor, exited };
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits (bounded) for a daemon that is not our child to exit: there is no exit event to wait on. */
async function gone(pid, ms = 10_000) {
  for (const deadline = Date.now() + ms; alive(pid); ) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} still runs after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const whatIsAt = (file) => {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  return stat === undefined ? 'gone' : stat.isSocket() ? 'a socket' : 'a file';
};

let watcher;
try {
  say(`kvd and its CLI kv; the socket goes in ${dir} (KV_DIR)`);

  step('1. the first call starts the daemon');
  await kv(['status']); // status and stop only connect: nothing runs yet
  await kv(['set', 'greeting', 'hello']);
  const first = await status();

  step('2. later calls reuse it');
  await kv(['get', 'greeting']);
  const again = await status();
  check(again.pid === first.pid, `the same daemon, pid ${first.pid}, not ${again.pid}`);
  say(`same daemon (pid ${first.pid})`);

  step('3. errors arrive with their code and data');
  await kv(['get', 'nope']);
  await kv(['set', '', 'x']);
  await kv(['set', 'lonely']);

  step('4. watch streams the changes under a prefix');
  await kv(['set', 'user.alice', '1']);
  watcher = watch('user.');
  await watcher.waitFor('user.alice = 1'); // what is there first: from now on it sees every change
  await kv(['set', 'user.bob', '2']);
  await watcher.waitFor('user.bob = 2');
  await kv(['set', 'other', 'x']); // not under user.: the daemon does not send it
  await kv(['delete', 'user.alice']);
  await watcher.waitFor('user.alice deleted');
  await kv(['keys']);

  step('5. kill -9 the daemon: the next call starts a new one, and the watch follows it');
  say(`$ kill -9 ${first.pid}`);
  process.kill(first.pid, 'SIGKILL');
  await gone(first.pid);
  check(whatIsAt(socketPath) === 'a socket', 'the killed daemon to leave its socket file');
  say(`kvd.sock is still ${whatIsAt(socketPath)}: stale, nobody listens on it`);
  let from = watcher.lines.length;
  await kv(['set', 'user.carol', '3']);
  await watcher.waitFor('user.carol = 3', from);
  const second = await status();
  check(second.pid !== first.pid, 'a new daemon');
  say(`a new daemon (pid ${second.pid}); its store started empty: it lives in memory`);

  step('6. an upgraded kv replaces the daemon of the old version');
  from = watcher.lines.length;
  await kv(['set', 'user.dave', '4'], '2.0.0');
  await watcher.waitFor('user.dave = 4', from);
  const third = await status();
  check(third.version === '2.0.0' && third.pid !== second.pid, 'a daemon of version 2.0.0');
  await gone(second.pid);
  say(`the ${second.version} daemon (pid ${second.pid}) was asked to shut down ($shutdown) and has exited`);

  step('7. a clean stop');
  check((await kv(['stop'])).code === 0, 'kv stop to succeed');
  check(whatIsAt(socketPath) === 'gone', 'no socket file after kv stop');
  say(`kvd.sock is now ${whatIsAt(socketPath)}: the daemon removed its socket as it closed`);
  await gone(third.pid);
  say(`pid ${third.pid} has exited`);
  say('$ kill -INT %1   (Ctrl-C: the watch was waiting for a daemon to come back)');
  watcher.child.kill('SIGINT');
  say(`the watch ended by ${await watcher.exited}`);

  step('8. what is left');
  say(
    `${path.basename(logPath)}: each daemon's output, appended (connectOrSpawn's default log, beside the socket):`,
  );
  for (const line of fs.readFileSync(logPath, 'utf8').split('\n').filter(Boolean)) say(`  ${line}`);
  const left = fs.readdirSync(dir);
  check(left.join() === path.basename(logPath), `only the log left, not ${left.join(', ')}`);
  say(`in ${dir}: ${left.join(', ')}`);
} finally {
  watcher?.child.kill('SIGKILL');
  // Every daemon this run started wrote its pid in the log: none may outlive it, even after a failure.
  const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8') : '';
  for (const [, pid] of log.matchAll(/ pid (\d+) /g))
    if (alive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
say(`removed ${dir}: no socket, no log, no process left`);
