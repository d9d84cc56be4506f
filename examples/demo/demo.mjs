// npm run demo: a daemon and its CLI as separate processes over a socket path;
// SIGKILL and restart over the stale socket; the TCP fallback behind the same
// path; and an AF_UNIX vs AF_INET round-trip comparison measured right here.
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'unixipc';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'unixipc-demo-'));
const path = join(dir, 'daemon.sock');
const children = new Set();

function startDaemon(transport = 'auto') {
  const child = spawn(process.execPath, [join(here, 'daemon.mjs'), path, transport], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('daemon did not start within 10 s')), 10_000);
    child.stdout.once('data', (chunk) => {
      clearTimeout(timer);
      const line = chunk.toString().trim();
      if (!line.startsWith('READY')) reject(new Error(line));
      resolve({ child, line });
    });
  });
}

function runCli(method, params) {
  return new Promise((resolve) => {
    const args = [join(here, 'cli.mjs'), path, method];
    if (params !== undefined) args.push(JSON.stringify(params));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', () => resolve(out.trim()));
  });
}

function whatIsAt(p) {
  try {
    const st = lstatSync(p);
    return st.isSocket()
      ? 'a socket file'
      : st.isFile()
        ? 'a regular file (TCP descriptor)'
        : 'something else';
  } catch {
    return 'nothing';
  }
}

function exited(child) {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve),
  );
}

/** Sequential round trips over both endpoints, interleaved in batches so noise hits both alike. */
async function compare(endpoints, rounds, batches = 10) {
  const clients = await Promise.all(endpoints.map((e) => connect(e)));
  const payload = 'x'.repeat(64);
  const samples = endpoints.map(() => []);
  for (const client of clients) for (let i = 0; i < 300; i++) await client.request('echo', payload);
  for (let b = 0; b < batches; b++) {
    for (const [k, client] of clients.entries()) {
      for (let i = 0; i < rounds / batches; i++) {
        const t0 = process.hrtime.bigint();
        await client.request('echo', payload);
        samples[k].push(Number(process.hrtime.bigint() - t0) / 1_000);
      }
    }
  }
  await Promise.all(clients.map((c) => c.close()));
  return samples.map((times) => {
    times.sort((x, y) => x - y);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    return { p50: at(0.5), p99: at(0.99) };
  });
}

const say = (text) => console.log(text);
const step = (n, text) => console.log(`\n${n}. ${text}`);

try {
  say(`unixipc demo: everything lives in ${dir}`);

  step(1, 'start the daemon as its own process on a socket path');
  let daemon = await startDaemon();
  say(`   daemon: ${daemon.line}`);
  say(`   ${path} is ${whatIsAt(path)}`);

  step(2, 'call it from a separate CLI process');
  say(`   $ cli upper "hello from the cli"  ->  ${await runCli('upper', 'hello from the cli')}`);
  say(`   $ cli add {"a":2,"b":40}          ->  ${await runCli('add', { a: 2, b: 40 })}`);

  step(3, 'kill the daemon with SIGKILL: it cannot clean up');
  daemon.child.kill('SIGKILL');
  await exited(daemon.child);
  say(`   ${path} is still ${whatIsAt(path)} (stale: nobody listens)`);
  say(`   $ cli status  ->  ${await runCli('status')}`);

  step(4, 'start it again over the stale socket: reclaimed, no manual rm');
  daemon = await startDaemon();
  say(`   daemon: ${daemon.line}`);
  say(`   $ cli status  ->  ${await runCli('status')}`);
  const rival = await startDaemon().catch((error) => error.message);
  say(`   a second daemon on the live path: ${rival}`);

  step(5, 'stop it (SIGTERM: graceful close removes its own socket), then force the TCP fallback');
  daemon.child.kill('SIGTERM');
  await exited(daemon.child);
  say(`   after SIGTERM, ${path} is ${whatIsAt(path)}`);
  daemon = await startDaemon('tcp');
  say(`   daemon: ${daemon.line}`);
  const descriptor = JSON.parse(readFileSync(path, 'utf8'));
  say(`   ${path} is ${whatIsAt(path)}, mode ${(lstatSync(path).mode & 0o777).toString(8)}:`);
  say(
    `   ${JSON.stringify({ ...descriptor, token: `${descriptor.token.slice(0, 6)}… (${descriptor.token.length} chars)` })}`,
  );
  say(`   same CLI, same path: $ cli status  ->  ${await runCli('status')}`);

  step(6, 'AF_UNIX vs AF_INET: sequential round trips, 64-byte payload, measured now');
  // The TCP daemon keeps the fallback path; an AF_UNIX daemon serves a second path beside it.
  const unixPath = join(dir, 'unix.sock');
  const unixChild = spawn(process.execPath, [join(here, 'daemon.mjs'), unixPath, 'unix'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(unixChild);
  await new Promise((resolve) => unixChild.stdout.once('data', resolve));
  const rounds = Number(process.env.DEMO_ROUNDS ?? 5_000);
  const [unix, tcp] = await compare([unixPath, path], rounds);
  say(`   ${rounds} round trips each (client and daemon in separate processes):`);
  const row = (name, r) =>
    `p50 ${r.p50.toFixed(1).padStart(7)} µs   p99 ${r.p99.toFixed(1).padStart(7)} µs   (${name})`;
  say(`     AF_UNIX  ${row('unix.sock', unix)}`);
  say(`     AF_INET  ${row('daemon.sock -> 127.0.0.1 via descriptor', tcp)}`);
  say(
    `     TCP / AF_UNIX: ${(tcp.p50 / unix.p50).toFixed(2)}x at p50, ${(tcp.p99 / unix.p99).toFixed(2)}x at p99`,
  );
  say(
    '     (above 1: AF_UNIX is faster; one run on a shared machine is noisy: npm run bench for the full suite)',
  );
  say('\ndone.');
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
