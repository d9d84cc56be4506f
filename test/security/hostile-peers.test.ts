// Peers that got past the hello (same user, or holding the token) but misbehave: what the server
// holds for them is bounded server-wide, and control messages are never stuck behind work.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, isIpcError } from '../../lib/index.ts';
import { encodeFrame } from '../../lib/protocol-entry.ts';
import {
  cleanup,
  errorOf,
  frameLog,
  killAll,
  rawClient,
  spawnLines,
  startOptionsServer,
  stats,
  tempDir,
} from '../helpers.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

afterEach(killAll);
afterAll(cleanup);

const MiB = 1024 * 1024;
const K = { HELLO: 1, REQUEST: 2, RESPONSE: 3, ERROR: 4, NOTIFY: 5, CANCEL: 8, PING: 9, PONG: 10 };
const request = (id: number, method: string, params: unknown) =>
  encodeFrame(K.REQUEST, 0, id, method, JSON.stringify(params));

describe.each(['unix', 'tcp'] as const)('handlers and work held back (%s)', (transport) => {
  it('runs notification handlers within maxInFlight, like requests', async () => {
    const path = join(tempDir(), 'notify.sock');
    await startOptionsServer(path, { transport, maxInFlight: 8 });
    const client = await connect(path);
    for (let i = 0; i < 2_000; i++) {
      if (!client.notify('wait', { ms: 2 })) await client.drained();
    }
    await expect.poll(async () => (await stats(path)).waited, { timeout: 20_000 }).toBe(2_000);
    expect((await stats(path)).maxRunning).toBeLessThanOrEqual(8);
    client.destroy();
  });

  it('runs at most maxHandlers handlers over all connections', async () => {
    const path = join(tempDir(), 'handlers.sock');
    await startOptionsServer(path, { transport, maxInFlight: 8, maxHandlers: 12 });
    const clients = await Promise.all([connect(path), connect(path), connect(path)]);
    const all = clients.flatMap((client) =>
      Array.from({ length: 40 }, (_, i) =>
        i % 2 ? client.request('wait', { ms: 3 }) : Promise.resolve(client.notify('wait', { ms: 3 })),
      ),
    );
    await Promise.all(all);
    await expect.poll(async () => (await stats(path)).waited, { timeout: 20_000 }).toBe(120);
    const { maxRunning } = await stats(path);
    expect(maxRunning).toBeLessThanOrEqual(12);
    expect(maxRunning).toBeGreaterThan(8);
    for (const client of clients) client.destroy();
  });

  it('answers a PING at once while handlers are at their limit and work waits behind them', async () => {
    const path = join(tempDir(), 'ping.sock');
    await startOptionsServer(path, { transport, maxInFlight: 2 });
    const raw = await rawClient(path);
    const log = frameLog(raw);
    await log.waitFor((f) => f.kind === K.HELLO);
    const busy = [request(1, 'wait', { ms: 30_000 }), request(2, 'wait', { ms: 30_000 })];
    const queued = Array.from({ length: 50 }, (_, i) => request(100 + i, 'echo', i));
    raw.write(Buffer.concat([...busy, ...queued, encodeFrame(K.PING, 2, 77, '')]));
    const started = Date.now();
    await log.waitFor((f) => f.kind === K.PONG && f.id === 77, 3_000);
    expect(Date.now() - started).toBeLessThan(3_000);
    raw.destroy();
  });

  it('delivers a CANCEL at once, whatever waits: for a running handler and for one not started', async () => {
    const path = join(tempDir(), 'cancel.sock');
    await startOptionsServer(path, { transport, maxInFlight: 2 });
    const raw = await rawClient(path);
    const log = frameLog(raw);
    await log.waitFor((f) => f.kind === K.HELLO);
    raw.write(
      Buffer.concat([
        request(1, 'wait', { ms: 30_000 }),
        request(2, 'wait', { ms: 30_000 }),
        request(3, 'wait', { ms: 30_000 }), // waits behind 1 and 2
        encodeFrame(K.CANCEL, 2, 3, ''),
        encodeFrame(K.CANCEL, 2, 1, ''),
      ]),
    );
    const three = await log.waitFor((f) => f.kind === K.ERROR && f.id === 3, 3_000);
    expect(JSON.parse(three.text).code).toBe('ERR_IPC_ABORTED');
    const one = await log.waitFor((f) => f.kind === K.ERROR && f.id === 1, 3_000);
    expect(JSON.parse(one.text).code).toBe('ERR_IPC_ABORTED');
    // 1's handler saw its signal; 3's never ran.
    await expect.poll(async () => (await stats(path)).aborted, { timeout: 3_000 }).toBe(1);
    expect((await stats(path)).maxRunning).toBe(2);
    raw.destroy();
  });

  it('notices a stuck client while its work waits (no FIN, no reads), and stops its handlers', async () => {
    const path = join(tempDir(), 'gone.sock');
    // Reading used to stop as soon as work waited: the heartbeat then took the pause for its own
    // doing, and a client that froze with work queued was kept, its handlers running, for ever.
    await startOptionsServer(path, { transport, maxInFlight: 2, heartbeatInterval: 300 });
    const descriptor =
      transport === 'tcp'
        ? (JSON.parse(readFileSync(path, 'utf8')) as { port: number; token: string })
        : undefined;
    const target = descriptor ? [String(descriptor.port), descriptor.token] : [path];
    const stuck = spawnLines(join(FIXTURES, 'stuck-client.mjs'), [...target, '20']);
    await stuck.waitFor(/^SENT/);
    await expect.poll(async () => (await stats(path)).running, { timeout: 3_000 }).toBe(2);
    stuck.proc.kill('SIGSTOP');
    try {
      await expect.poll(async () => (await stats(path)).aborted, { timeout: 5_000 }).toBe(2);
      expect((await stats(path)).running).toBe(0);
    } finally {
      stuck.proc.kill('SIGKILL');
    }
  });
});

describe.each(['unix', 'tcp'] as const)('memory held for peers, server-wide (%s)', (transport) => {
  it('holds at most maxBufferedBytes of input over all connections: 200 connections announcing 64 MiB and sending 3 MiB each', async () => {
    const path = join(tempDir(), 'bodies.sock');
    await startOptionsServer(path, { transport, heartbeatInterval: 0 }, ['--expose-gc']);
    const idle = await stats(path);
    const raws = await Promise.all(Array.from({ length: 200 }, () => rawClient(path)));
    const header = request(1, 'echo', 'x').subarray(0, 12);
    header.writeUInt32BE(64 * MiB - 1, 0);
    const part = Buffer.alloc(3 * MiB, 0x20);
    for (const raw of raws) {
      raw.resume();
      raw.write(Buffer.concat([header, Buffer.from('echo'), part]));
    }
    // A well-behaved client is still served meanwhile.
    const client = await connect(path);
    for (let i = 0; i < 20; i++) expect(await client.request('echo', i)).toBe(i);
    // Once the server has read what it will (its rss stops growing), compare with idle.
    let last = 0;
    let steady = 0;
    for (let i = 0; i < 60 && steady < 3; i++) {
      const rss = (await stats(path)).rss;
      steady = Math.abs(rss - last) < MiB ? steady + 1 : 0;
      last = rss;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const grown = (last - idle.rss) / MiB;
    console.log(
      `${transport}: 200 connections each announcing 64 MiB and sending 3 MiB (600 MiB): server rss +${grown.toFixed(0)} MiB`,
    );
    expect(grown).toBeLessThan(256);
    client.destroy();
    for (const raw of raws) raw.destroy();
  }, 60_000);

  it('drops the slowest reader once queued answers over all connections pass maxQueuedBytesTotal', async () => {
    const path = join(tempDir(), 'out.sock');
    const server = await startOptionsServer(
      path,
      { transport, maxQueuedBytesTotal: 64 * MiB, heartbeatInterval: 0 },
      ['--expose-gc'],
    );
    const idle = await stats(path);
    const raws = await Promise.all(Array.from({ length: 20 }, () => rawClient(path)));
    for (const raw of raws) {
      raw.pause(); // never reads a byte
      raw.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => request(i + 1, 'blob', 4 * MiB))));
    }
    await server.waitFor(/maxQueuedBytesTotal/, 20_000);
    const client = await connect(path);
    expect(await client.request('echo', 'served')).toBe('served');
    // What the server holds (after a GC) once the drops have taken effect: a dropped peer's answers
    // are let go of when its socket has closed, a moment after the first drop is reported. Measured
    // at that report, it was anywhere from +32 to +630 MiB from run to run; waited for, +32 to +64.
    // (Not rss either: glibc keeps freed 4 MiB answers at its whim, README "Large messages on Linux".)
    const held = async () => {
      const now = await stats(path);
      return (now.heapUsed + now.arrayBuffers - idle.heapUsed - idle.arrayBuffers) / MiB;
    };
    await expect.poll(held, { timeout: 10_000 }).toBeLessThan(256);
    const loaded = await stats(path);
    console.log(
      `${transport}: 20 peers that do not read, 32 MiB of answers each: server holds +${(await held()).toFixed(0)} MiB ` +
        `(rss +${((loaded.rss - idle.rss) / MiB).toFixed(0)} MiB)`,
    );
    client.destroy();
    for (const raw of raws) raw.destroy();
  }, 60_000);
});

describe('a peer that speaks something else', () => {
  it('tells an HTTP client that it does not speak unixipc, instead of a frame size', async () => {
    const path = join(tempDir(), 'http.sock');
    await startOptionsServer(path, { transport: 'unix' });
    const raw = await rawClient(path, false);
    const log = frameLog(raw);
    raw.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const error = await log.waitFor((f) => f.kind === K.ERROR);
    expect(JSON.parse(error.text).message).toContain(
      'the peer does not speak unixipc: it sent text ("GET / HTTP/1.1"',
    );
  });

  it('tells a client whose "server" answers in HTTP', async () => {
    const path = join(tempDir(), 'httpd.sock');
    const httpd = createServer((socket) => {
      socket.on('error', () => {});
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve) => httpd.listen(path, resolve));
    try {
      const error = await errorOf(connect(path));
      expect(isIpcError(error) && error.message).toContain('does not speak unixipc');
      expect(error.message).toContain('HTTP/1.1 400 Bad Request');
    } finally {
      httpd.close();
    }
  });
});
