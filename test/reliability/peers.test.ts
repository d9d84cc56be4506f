import type { Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { encodeFrame } from '../../lib/protocol-entry.ts';
import { cleanup, codeOf, killAll, rawClient, startOptionsServer, stats, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

/** Resolves when the server has closed SOCKET (reading whatever it sends, unless told not to). */
function closedWithin(socket: Socket, ms: number, read = true): Promise<number> {
  const started = Date.now();
  if (read) socket.resume();
  return new Promise((resolve, reject) => {
    if (socket.destroyed) resolve(0);
    const timer = setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe.each(['unix', 'tcp'] as const)('slow and stuck peers (%s)', (transport) => {
  it('drops a client that sends requests but never reads, before buffering without bound', async () => {
    const path = join(tempDir(), 'slow.sock');
    await startOptionsServer(path, { transport, maxQueuedBytes: 4 * 1024 * 1024, heartbeatInterval: 0 }, [
      '--expose-gc',
    ]);
    const before = await stats(path);
    const raw = await rawClient(path);
    raw.pause(); // never read a byte
    // 200 requests for 1 MiB each: 200 MiB of answers if the server buffered them all. In one write,
    // so the server reads them in one go: sent one write each, under load it could wake for the first
    // few alone, stop reading once their answers backed up (under 4 MiB), and never reach the limit
    // (the heartbeat, off here, drops such a client).
    const requests = [];
    for (let id = 1; id <= 200; id++) requests.push(encodeFrame(2, 0, id, 'blob', String(1024 * 1024)));
    raw.write(Buffer.concat(requests));
    // The client reads nothing, so it cannot see the close: watch the server instead.
    await expect.poll(async () => (await stats(path)).connections, { timeout: 10_000 }).toBe(1); // the stats call
    const after = await stats(path);
    raw.destroy();
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
    const good = await connect(path);
    expect(await good.request('echo', 'fine')).toBe('fine');
    good.destroy();
  });

  it('drops, through the heartbeat, a client that never reads with a backlog under maxQueuedBytes', async () => {
    const path = join(tempDir(), 'stalled.sock');
    await startOptionsServer(path, { transport, maxQueuedBytes: 64 * 1024 * 1024, heartbeatInterval: 200 });
    const raw = await rawClient(path);
    raw.pause(); // never read a byte
    // One 8 MiB answer: more than the socket buffers take, far less than the limit.
    raw.write(encodeFrame(2, 0, 1, 'blob', String(8 * 1024 * 1024)));
    await expect.poll(async () => (await stats(path)).connections, { timeout: 10_000 }).toBe(1); // the stats call
    raw.destroy();
  });

  it('keeps reading while a large answer drains, and stops once a backlog of 1 MiB builds up', async () => {
    const path = join(tempDir(), 'backlog.sock');
    await startOptionsServer(path, { transport, heartbeatInterval: 0 });
    const handled = async () => (await stats(path)).handled;
    const blobs = async () => (await stats(path)).blobs;
    const raw = await rawClient(path);
    raw.pause(); // reads nothing (past Node's own small read-ahead) until resumed
    // 512 KiB answer: more than an AF_UNIX socket's buffers take, so it waits in the server (over
    // TCP the kernel may take it all); under the backlog limit, the next request is still read.
    raw.write(encodeFrame(2, 0, 1, 'blob', String(512 * 1024)));
    // Once the server has answered it, in a read of its own (in the same read it would be decoded
    // before any pause). The answer is written in the handler's tick, so any pause is on by then.
    await expect.poll(blobs, { timeout: 5_000 }).toBe(1);
    raw.write(encodeFrame(2, 0, 2, 'echo', '"after a large answer"'));
    await expect.poll(handled, { timeout: 5_000 }).toBe(1);
    // 16 MiB: far more than any socket buffer takes. The server stops reading this client...
    raw.write(encodeFrame(2, 0, 3, 'blob', String(16 * 1024 * 1024)));
    await expect.poll(blobs, { timeout: 5_000 }).toBe(2);
    raw.write(encodeFrame(2, 0, 4, 'echo', '"behind a backlog"'));
    // Not a wait for readiness: a window in which the server must not read (a server that did
    // would answer this echo within a few ms).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await handled()).toBe(1);
    // ...and reads on once the client takes its answers.
    raw.on('data', () => {});
    raw.resume();
    await expect.poll(handled, { timeout: 5_000 }).toBe(2);
    raw.destroy();
  });

  it('drops a peer that connects and never says hello', async () => {
    const path = join(tempDir(), 'mute.sock');
    await startOptionsServer(path, { transport, handshakeTimeout: 300 });
    const raw = await rawClient(path, false);
    const ms = await closedWithin(raw, 5_000);
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  it('drops a half-open peer (half a frame, then silence) through the heartbeat', async () => {
    const path = join(tempDir(), 'half.sock');
    await startOptionsServer(path, { transport, heartbeatInterval: 200 });
    const raw = await rawClient(path);
    raw.write(encodeFrame(2, 0, 1, 'echo', '"x"').subarray(0, 8));
    const ms = await closedWithin(raw, 5_000);
    expect(ms).toBeGreaterThanOrEqual(200);
    expect((await stats(path)).connections).toBe(1); // the stats call itself
  });

  it('keeps a quiet but healthy client connected across many heartbeats', async () => {
    const path = join(tempDir(), 'quiet.sock');
    await startOptionsServer(path, { transport, heartbeatInterval: 250 });
    const client = await connect(path, { heartbeatInterval: 250 });
    // Not a wait for readiness: the quiet spell under test, five intervals long. (At 250 ms, not
    // less: a client whose process stalls for two intervals is dropped, and this one shares a loaded
    // machine.)
    await new Promise((resolve) => setTimeout(resolve, 1_250));
    expect(client.closed).toBe(false);
    expect(await client.request('echo', 'alive')).toBe('alive');
    client.destroy();
  });

  it('refuses connections over maxConnections with a clear error, and serves again below it', async () => {
    const path = join(tempDir(), 'full.sock');
    await startOptionsServer(path, { transport, maxConnections: 3 });
    const clients = await Promise.all([connect(path), connect(path), connect(path)]);
    const error = await connect(path).catch((e) => e);
    // A connect() that does not get through its hello fails with ERR_IPC_CONNECT, the server's reason in the message.
    expect(error.code).toBe('ERR_IPC_CONNECT');
    expect(error.message).toContain('maxConnections (3)');
    clients[0]!.destroy();
    const tryConnect = async () => {
      try {
        (await connect(path)).destroy();
        return 'ok';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    await expect.poll(tryConnect, { timeout: 5_000 }).toBe('ok');
    for (const c of clients) c.destroy();
  });

  it('stops reading at maxInFlight instead of failing, and answers everything', async () => {
    const path = join(tempDir(), 'inflight.sock');
    await startOptionsServer(path, { transport, maxInFlight: 4 });
    const client = await connect(path);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.request('delayedEcho', { value: i, ms: 5 })),
    );
    expect(answers).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const { maxRunning } = await client.request('stats');
    expect(maxRunning).toBeLessThanOrEqual(4);
    expect(maxRunning).toBeGreaterThan(1);
    client.destroy();
  });
});

describe.each(['unix', 'tcp'] as const)('close() and destroy() (%s)', (transport) => {
  it('close() lets in-flight requests finish, refuses new ones, and is idempotent', async () => {
    const { serve } = await import('../../lib/index.ts');
    const path = join(tempDir(), 'close.sock');
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish: (value: string) => void = () => {};
    const server = await serve(path, {
      transport,
      handlers: {
        slow: () => {
          started();
          return new Promise((resolve) => {
            finish = resolve;
          });
        },
      },
    });
    const client = await connect(path);
    const inFlight = client.request('slow');
    await running;
    const closing = server.close();
    expect(server.close()).toBe(closing);
    // New connections are refused while the one in flight is still running...
    await expect
      .poll(() =>
        connect(path).then(
          (c) => c.destroy(),
          (e) => e.code,
        ),
      )
      .toBe('ERR_IPC_CONNECT');
    // ...and it finishes.
    finish('finished');
    expect(await inFlight).toBe('finished');
    await closing;
    expect(await codeOf(client.request('slow', 1))).toBe('ERR_IPC_CLOSED');
    expect(await codeOf(connect(path))).toBe('ERR_IPC_CONNECT');
  });

  it('close({ timeout }) drops requests still running at the deadline with ERR_IPC_CLOSED', async () => {
    const { serve } = await import('../../lib/index.ts');
    const path = join(tempDir(), 'deadline.sock');
    let aborted = false;
    let running: () => void = () => {};
    const isRunning = new Promise<void>((resolve) => {
      running = resolve;
    });
    const server = await serve(path, {
      transport,
      handlers: {
        forever: (_: unknown, ctx) =>
          new Promise((resolve) => {
            running();
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve(null);
            });
          }),
      },
    });
    const client = await connect(path);
    const stuck = codeOf(client.request('forever'));
    await isRunning;
    const started = Date.now();
    await server.close({ timeout: 150 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await stuck).toBe('ERR_IPC_CLOSED');
    expect(aborted).toBe(true);
  });

  it('destroy() fails every pending request on both sides at once', async () => {
    const { serve } = await import('../../lib/index.ts');
    const path = join(tempDir(), 'destroy.sock');
    let runs = 0;
    let bothRunning: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      bothRunning = resolve;
    });
    const forever = () => {
      if (++runs === 2) bothRunning();
      return new Promise(() => {});
    };
    const server = await serve(path, { transport, handlers: { forever } });
    const client = await connect(path);
    const pending = [codeOf(client.request('forever')), codeOf(client.request('forever'))];
    await running; // both reached the server: each side has something to fail
    await server.destroy();
    expect(await Promise.all(pending)).toEqual(['ERR_IPC_CLOSED', 'ERR_IPC_CLOSED']);
    const client2Side = await connect(path).catch((e) => e.code);
    expect(client2Side).toBe('ERR_IPC_CONNECT');
    // The client side's destroy() is the hard stop too.
    const again = await serve(path, { transport, handlers: { forever: () => new Promise(() => {}) } });
    const c = await connect(path);
    const p = codeOf(c.request('forever'));
    c.destroy();
    expect(await p).toBe('ERR_IPC_CLOSED');
    await again.close({ timeout: 100 });
  });
});
