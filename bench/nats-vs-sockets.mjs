// The same request, one at a time, over AF_UNIX, TCP loopback and NATS on this machine:
// p50/p99 latency and requests per second, beside the raw floors (a bare AF_UNIX socket and a
// bare NATS request). Server and client are separate processes, and so is nats-server (started
// here on a free loopback port; install it with `apt-get install -y nats-server`).
// Targets take turns in short blocks, so that none gains from running last.
// Usage: npx tsup && node bench/nats-vs-sockets.mjs [--seconds=3]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect } from 'unixipc';
import { connect as connectNats } from 'unixipc/nats';

const seconds = Number(/--seconds=(\S+)/.exec(process.argv.join(' '))?.[1] ?? 3);
const BLOCK = 200;
const here = path.dirname(fileURLToPath(import.meta.url));

if (spawnSync('nats-server', ['--version']).status !== 0) {
  console.error('nats-server not found: apt-get install -y nats-server');
  process.exit(2);
}

const children = [];
function lines(child, stream) {
  const waiters = [];
  readline.createInterface({ input: stream }).on('line', (line) => {
    for (const w of waiters.splice(0))
      if (!w.pattern.test(line)) waiters.push(w);
      else w.resolve(line);
  });
  return (pattern, ms = 10_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} in ${ms} ms`)), ms);
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      child.once('exit', () => reject(new Error(`process exited before printing ${pattern}`)));
    });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-natsbench-'));
try {
  const natsServer = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(natsServer);
  const natsLine = lines(natsServer, natsServer.stderr);
  const listening = natsLine(/Listening for client connections on 127\.0\.0\.1:\d+/);
  await natsLine(/Server is ready/);
  const natsUrl = `nats://127.0.0.1:${/:(\d+)$/.exec(await listening)[1]}`;

  const server = spawn(process.execPath, [path.join(here, 'nats-vs-sockets-server.mjs'), dir, natsUrl], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(server);
  const endpoints = JSON.parse(await lines(server, server.stdout)(/^\{/));

  const payload = { seq: 0, text: 'hello' };
  const targets = [];
  // unixipc: the same client code, three endpoints.
  for (const [label, endpoint, dial] of [
    ['unixipc, AF_UNIX path', endpoints.unix.replace(/^unix:/, ''), connect],
    ['unixipc, TCP loopback', endpoints.tcp, connect],
    ['unixipc/nats', endpoints.nats, connectNats],
  ]) {
    const client = await dial(endpoint, { timeout: 5_000 });
    targets.push({ label, close: () => client.close(), once: () => client.request('ping', payload) });
  }
  // Raw floors.
  const rawSocket = net.connect(endpoints.raw);
  await new Promise((resolve, reject) => rawSocket.once('connect', resolve).once('error', reject));
  let rawWaiter;
  let rawBuffered = Buffer.alloc(0);
  rawSocket.on('data', (chunk) => {
    rawBuffered = rawBuffered.length === 0 ? chunk : Buffer.concat([rawBuffered, chunk]);
    if (rawBuffered.length >= 4 && rawBuffered.length >= 4 + rawBuffered.readUInt32BE(0)) {
      const body = rawBuffered.subarray(4, 4 + rawBuffered.readUInt32BE(0));
      rawBuffered = rawBuffered.subarray(4 + body.length);
      rawWaiter(JSON.parse(body));
    }
  });
  targets.push({
    label: 'raw net, AF_UNIX (floor)',
    close: async () => rawSocket.destroy(),
    once: () =>
      new Promise((resolve) => {
        rawWaiter = resolve;
        const body = Buffer.from(JSON.stringify(payload));
        const head = Buffer.alloc(4);
        head.writeUInt32BE(body.length);
        rawSocket.write(Buffer.concat([head, body]));
      }),
  });
  const nc = await natsConnect({ servers: natsUrl.replace('nats://', '') });
  targets.push({
    label: 'raw NATS request (floor)',
    close: () => nc.close(),
    once: async () =>
      JSON.parse(
        Buffer.from((await nc.request(endpoints.rawNats, JSON.stringify(payload), { timeout: 5_000 })).data),
      ),
  });

  for (const target of targets) {
    target.times = [];
    target.busy = 0;
  }
  // Warm-up: V8 needs about a second to optimise each path.
  const warmEnd = Date.now() + 1_000;
  while (Date.now() < warmEnd) for (const target of targets) for (let i = 0; i < 50; i++) await target.once();
  const end = Date.now() + seconds * 1_000;
  while (Date.now() < end) {
    for (const target of targets) {
      const blockStart = process.hrtime.bigint();
      for (let i = 0; i < BLOCK; i++) {
        payload.seq = i;
        const start = process.hrtime.bigint();
        const echoed = await target.once();
        target.times.push(Number(process.hrtime.bigint() - start) / 1_000);
        if (echoed.seq !== i) throw new Error(`${target.label}: answer ${echoed.seq} for request ${i}`);
      }
      target.busy += Number(process.hrtime.bigint() - blockStart) / 1e9;
    }
  }
  const floor = targets.find((t) => t.label.startsWith('raw net'));
  const at = (times, p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  for (const t of targets) {
    t.times.sort((a, b) => a - b);
    t.p50 = at(t.times, 0.5);
    t.p99 = at(t.times, 0.99);
    t.rate = t.times.length / t.busy;
  }
  const base = floor.p50;
  console.log(
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ` +
      `${spawnSync('nats-server', ['--version'], { encoding: 'utf8' }).stdout.trim()}, ` +
      `${seconds} s of sequential requests per target in turns of ${BLOCK}, unpinned`,
  );
  console.log(
    `${'target'.padEnd(28)} ${'p50 us'.padStart(8)} ${'p99 us'.padStart(8)} ${'req/s'.padStart(8)} ${'p50 / raw net'.padStart(14)}`,
  );
  for (const t of targets) {
    console.log(
      `${t.label.padEnd(28)} ${t.p50.toFixed(1).padStart(8)} ${t.p99.toFixed(1).padStart(8)} ${Math.round(t.rate).toString().padStart(8)} ${`${(t.p50 / base).toFixed(2)}x`.padStart(14)}`,
    );
  }
  for (const target of targets) await target.close();
  server.kill('SIGTERM');
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
