// unixipc/nats end to end: a real nats-server on a free loopback port, services in their own
// processes (test/fixtures/nats-service.mjs, through the built package), clients here and in
// processes of their own.
import { randomBytes } from 'node:crypto';
import { connect as natsConnect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isIpcError as mainIsIpcError } from '../../lib/index.ts';
import { connect, isIpcError, type NatsClient } from '../../lib/nats/index.ts';
import { cleanup, codeOf, errorOf, killAll, type LineProcess, spawnLines } from '../helpers.ts';
import { type NatsServerProcess, skipNats, startNatsServer, stopNatsServers } from '../nats-server.ts';

describe.skipIf(skipNats)('unixipc/nats over a real nats-server', () => {
  let nats: NatsServerProcess;
  let count = 0;
  const clients: NatsClient[] = [];
  /** A fresh service name per test: no test hears another's instances. */
  const endpoint = () => `${nats.url}/svc${++count}`;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await killAll();
  });
  afterAll(async () => {
    await cleanup();
    await stopNatsServers();
  });

  async function service(at: string, options: Record<string, unknown> = {}): Promise<LineProcess> {
    const proc = spawnLines('nats-service.mjs', [at, JSON.stringify(options)]);
    const line = await proc.waitFor(/^(READY|ERROR) /);
    if (!line.startsWith('READY ')) throw new Error(`service did not start: ${line}`);
    return proc;
  }

  async function client(at: string, options: Parameters<typeof connect>[1] = {}): Promise<NatsClient> {
    const made = await connect(at, { timeout: 5_000, ...options });
    clients.push(made);
    return made;
  }

  it('answers requests from a service process; a client process reaches it through the same endpoint', async () => {
    const at = endpoint();
    const proc = await service(at);
    expect(proc.lines[0]).toMatch(new RegExp(`^READY ${at.replace(/[.]/g, '\\.')} \\d+$`));
    const c = await client(at);
    expect(c.transport).toBe('nats');
    expect(c.endpoint).toBe(at);
    expect(await c.request('upper', 'hello')).toBe('HELLO');
    expect(await c.request('echo')).toBeUndefined();
    expect(await c.request('echo', null)).toBeNull();
    expect(await c.request('echo', { a: [1, 'x', { b: true }] })).toEqual({ a: [1, 'x', { b: true }] });
    const many = await Promise.all(
      Array.from({ length: 500 }, (_, i) => c.request('delayedEcho', { value: i, ms: (i * 7) % 20 })),
    );
    expect(many).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const cli = spawnLines('nats-client.mjs', [at, 'upper', '"from cli"']);
    expect(await cli.waitFor(/./)).toBe('"FROM CLI"');
  });

  it('carries a Buffer as raw bytes (on the wire too) and gives back a Buffer', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    // A plain NATS subscriber outside the queue group sees a copy of every request.
    const spy = await natsConnect({ servers: `127.0.0.1:${nats.port}` });
    const seen: { size: number; enc: string | undefined }[] = [];
    spy.subscribe(`svc${count}.req.>`, {
      callback: (_error, msg) => {
        seen.push({ size: msg.data.length, enc: msg.headers?.get('Ipc-Enc') });
      },
    });
    await spy.flush();
    try {
      const bytes = randomBytes(300_000);
      const back = await c.request<Buffer>('echo', bytes);
      expect(Buffer.isBuffer(back)).toBe(true);
      expect(back.equals(bytes)).toBe(true);
      expect(await c.request('isBuffer', new Uint8Array([1, 2, 3]))).toBe(true);
      expect(await c.request<Buffer>('echo', Buffer.alloc(0))).toEqual(Buffer.alloc(0));
      // JSON would be about 1.1 MB as an array and 400 KB as base64: these are the bytes themselves.
      expect(seen[0]).toEqual({ size: 300_000, enc: 'bytes' });
      // Many binary answers at once do not share or reuse a buffer.
      const blobs = Array.from({ length: 50 }, () => randomBytes(1000 + Math.floor(Math.random() * 5000)));
      const answers = await Promise.all(blobs.map((blob) => c.request<Buffer>('echo', blob)));
      expect(answers.every((answer, i) => answer.equals(blobs[i]!))).toBe(true);
    } finally {
      await spy.close();
    }
  });

  it('fails with the socket-path codes: remote errors with their message and data, no method, no responders', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    const remote = await errorOf(c.request('boom', 'it broke'));
    expect(isIpcError(remote) && remote.code).toBe('ERR_IPC_REMOTE');
    expect(remote.message).toBe('it broke');
    expect(isIpcError(remote) && remote.remoteCode).toBe('E_BOOM');
    expect(isIpcError(remote) && remote.remoteName).toBe('Error');
    // The main entry's isIpcError recognises it too.
    expect(mainIsIpcError(remote)).toBe(true);
    const missing = await errorOf(c.request('nosuch'));
    expect(isIpcError(missing) && missing.code).toBe('ERR_IPC_NO_METHOD');
    expect(missing.message).toContain('no method "nosuch"');
    // A method name that is not a plain subject token still reaches its handler (or its error).
    expect(await codeOf(c.request('no such * method >'))).toBe('ERR_IPC_NO_METHOD');
    // Nobody serves this service at all: NATS answers "no responders" at once.
    const nobody = await client(`${nats.url}/nobody${count}`);
    const started = Date.now();
    const none = await errorOf(nobody.request('upper', 'x'));
    expect(isIpcError(none) && none.code).toBe('ERR_IPC_NO_METHOD');
    expect(none.message).toContain('no responders');
    expect(Date.now() - started).toBeLessThan(2_000);
    // Bad endpoints and an unreachable NATS server.
    for (const bad of [
      'nats://127.0.0.1:4222',
      'nats://127.0.0.1:4222/',
      'nats://127.0.0.1/a b',
      'tcp://x:1/y',
    ]) {
      expect(await codeOf(connect(bad))).toBe('ERR_IPC_BAD_ENDPOINT');
    }
    const closedPort = await errorOf(connect('nats://127.0.0.1:1/x', { connectTimeout: 2_000 }));
    expect(isIpcError(closedPort) && closedPort.code).toBe('ERR_IPC_CONNECT');
    expect(closedPort.message).toContain('nats://127.0.0.1:1/x');
  });

  it('refuses a payload over max_payload clearly, either way, and keeps serving', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    const big = await errorOf(c.request('echo', Buffer.alloc(2 * 1024 * 1024)));
    expect(isIpcError(big) && big.code).toBe('ERR_IPC_FRAME_TOO_LARGE');
    expect(big.message).toMatch(
      /params of "echo": 2097152 bytes, over the NATS server's max_payload \(1048576/,
    );
    const result = await errorOf(c.request('bytes', 1024 * 1024 + 1));
    expect(isIpcError(result) && result.code).toBe('ERR_IPC_FRAME_TOO_LARGE');
    expect(result.message).toContain('the result of "bytes"');
    expect((await c.request<Buffer>('bytes', 1000 * 1000)).length).toBe(1000 * 1000);
    expect(await c.request('upper', 'still here')).toBe('STILL HERE');
  });

  it('times out and cancels on the server: the handler signal fires; an aborted signal does the same', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    const started = Date.now();
    expect(await codeOf(c.request('waitForAbort', null, { timeout: 150 }))).toBe('ERR_IPC_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect.poll(() => c.request('lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
    const reset = await client(at, { timeout: 100 });
    expect(await codeOf(reset.request('waitForAbort'))).toBe('ERR_IPC_TIMEOUT'); // the client-wide default
    const controller = new AbortController();
    const pending = c.request('waitForAbort', null, { signal: controller.signal });
    await c.request('upper', 'x'); // the request has reached the service
    controller.abort();
    expect(await codeOf(pending)).toBe('ERR_IPC_ABORTED');
    expect(await codeOf(c.request('echo', 1, { signal: controller.signal }))).toBe('ERR_IPC_ABORTED');
    expect(c.pendingCount).toBe(0);
  });

  it('delivers events: broadcast to every client of the service, peer.notify to the caller alone', async () => {
    const at = endpoint();
    await service(at);
    const [a, b] = [await client(at), await client(at)];
    const heard = { a: [] as unknown[], b: [] as unknown[] };
    a.on('tick', (data) => heard.a.push(data));
    b.on('tick', (data) => heard.b.push(data));
    const greetings = { a: [] as unknown[], b: [] as unknown[] };
    a.on('greeting', (data) => greetings.a.push(data));
    b.on('greeting', (data) => greetings.b.push(data));
    expect(await a.request('broadcast', { event: 'tick', data: { n: 1 } })).toBe(1);
    expect(await a.request('greetMe', 'a')).toBe(true);
    await expect.poll(() => [heard.a, heard.b], { timeout: 5_000 }).toEqual([[{ n: 1 }], [{ n: 1 }]]);
    await expect.poll(() => greetings.a, { timeout: 5_000 }).toEqual(['hello a']);
    await b.request('upper', 'x'); // b's inbox had its chance
    expect(greetings.b).toEqual([]);
    // Reserved names never reach a client as events.
    expect(await codeOf(a.request('broadcast', { event: 'close', data: 1 }))).toBe('ERR_IPC_REMOTE');
  });

  it('sends notifications one way, to one instance, with the sender as ctx.peer', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    expect(c.notify('note', { hello: 1 })).toBe(true);
    expect(c.notify('note', Buffer.from('raw'))).toBe(true);
    await c.drained();
    const peer = (await c.request<{ peer: string }>('whoami')).peer;
    await expect
      .poll(() => c.request('notified'), { timeout: 5_000 })
      .toEqual([
        { data: { hello: 1 }, id: 0, peer },
        { data: { type: 'Buffer', data: [114, 97, 119] }, id: 0, peer },
      ]);
  });

  it('streams items in order; request() collects them; leaving the loop cancels on the server', async () => {
    const at = endpoint();
    await service(at);
    const c = await client(at);
    const items: number[] = [];
    for await (const item of c.stream<number>('count', 1000)) items.push(item);
    expect(items).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(await c.request('count', 500)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    // A plain result through stream() is a one-item stream.
    const one: unknown[] = [];
    for await (const item of c.stream('upper', 'x')) one.push(item);
    expect(one).toEqual(['X']);
    for await (const item of c.stream<{ i: number }>('produce', 100_000)) {
      if (item.i === 10) break;
    }
    await expect.poll(() => c.request('lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
    expect(c.pendingCount).toBe(0);
  });

  it('flow control: a slow reader keeps the service at most a window of items ahead', async () => {
    const at = endpoint();
    await service(at);
    const window = 16;
    const c = await client(at, { streamWindow: window });
    const probe = await client(at);
    const iterator = c.stream<{ i: number }>('produce', 100_000)[Symbol.asyncIterator]();
    const marks: number[] = [];
    let consumed = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) {
        const step = await iterator.next();
        expect(step.value?.i).toBe(consumed);
        consumed++;
      }
      // The reader stops. The generator runs on to a window past the reader's last credit, and
      // credit lags what was read by less than half a window: wait (not sleep) until it is at least
      // that far, then it must be no further than a window (and the one item it pulls ahead).
      await expect
        .poll(() => probe.request<number>('produced'), { timeout: 5_000 })
        .toBeGreaterThan(consumed + window / 2);
      const produced = await probe.request<number>('produced');
      marks.push(produced);
      expect(produced).toBeLessThanOrEqual(consumed + window + 1);
    }
    // It did move on as the reader did.
    expect(marks[3]!).toBeGreaterThan(marks[0]!);
    await iterator.return?.();
  });

  it('abandons a stream whose client vanished without a word (its signal fires)', async () => {
    const at = endpoint();
    await service(at, { streamIdleTimeout: 300 });
    const raw = await natsConnect({ servers: `127.0.0.1:${nats.port}` });
    const doomed = await connect(at, { connection: raw, streamWindow: 4 });
    const iterator = doomed.stream<{ i: number }>('produce', 100_000)[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.i).toBe(0);
    // The process "dies": its NATS connection goes, and no cancel is sent.
    await raw.close();
    const c = await client(at);
    await expect
      .poll(() => c.request('lastAborted'), { timeout: 5_000, interval: 100 })
      .toBe('ERR_IPC_CLOSED');
    expect(await c.request<number>('produced')).toBeLessThanOrEqual(5);
  });

  it('close() waits for pending requests; destroy() fails them and cancels them on the service', async () => {
    const at = endpoint();
    await service(at);
    const closing = await connect(at, { timeout: 5_000 });
    const slow = closing.request('delayedEcho', { value: 'late', ms: 200 });
    const closed = new Promise((resolve) => closing.once('close', resolve));
    await closing.close();
    expect(await slow).toBe('late');
    expect(closing.closed).toBe(true);
    expect(await closed).toBeUndefined();
    expect(await codeOf(closing.request('upper', 'x'))).toBe('ERR_IPC_CLOSED');
    expect(closing.notify('note', 1)).toBe(false);
    expect(() => closing.request('', 'x')).toThrow(TypeError);

    const destroyed = await connect(at, { timeout: 5_000 });
    const waiting = destroyed.request('waitForAbort');
    await destroyed.request('upper', 'x'); // it has reached the service
    destroyed.destroy();
    expect(await codeOf(waiting)).toBe('ERR_IPC_CLOSED');
    const c = await client(at);
    await expect.poll(() => c.request('lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
  });

  it('queue groups: two service processes share the requests; one closing gracefully leaves the rest to the other', async () => {
    const at = endpoint();
    const one = await service(at);
    const two = await service(at);
    const pids = [one, two].map((proc) => Number(proc.lines[0]!.split(' ')[2]));
    const c = await client(at);
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => c.request<{ pid: number; n: number }>('served')),
    );
    const byPid = new Map<number, number[]>();
    for (const { pid, n } of answers) byPid.set(pid, [...(byPid.get(pid) ?? []), n]);
    expect([...byPid.keys()].sort()).toEqual([...pids].sort());
    // Each instance ran exactly the requests it answered (numbered 1..k, no gaps): none ran twice.
    for (const ns of byPid.values()) {
      expect(ns.length).toBeGreaterThan(20);
      expect(ns.sort((x, y) => x - y)).toEqual(Array.from({ length: ns.length }, (_, i) => i + 1));
    }
    // Requests in flight on the instance that closes still finish there.
    const slow = Array.from({ length: 20 }, (_, i) => c.request('delayedEcho', { value: i, ms: 400 }));
    await one.waitFor(/^RUNNING$/); // it has some in flight when told to close
    one.proc.kill('SIGTERM');
    expect(await Promise.all(slow)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await one.waitFor(/^CLOSED$/);
    const after = await Promise.all(Array.from({ length: 50 }, () => c.request<number>('pid')));
    expect(new Set(after)).toEqual(new Set([pids[1]]));
  });
});
