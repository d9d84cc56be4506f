import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, serve } from '../../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../../lib/protocol-entry.ts';
import { cleanup, codeOf, exited, killAll, startOptionsServer, stats, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const HELLO_REPLY = encodeFrame(
  1,
  0,
  0,
  '',
  JSON.stringify({ protocol: 1, server: 'unixipc', maxFrameBytes: 1 << 20 }),
);

/**
 * A fake server that completes the hello, then answers the Nth request it
 * receives with whatever `reply(id)` returns; other requests stay pending.
 */
async function fakeServer(path: string, replyTo: number, reply: (id: number) => Buffer): Promise<NetServer> {
  const server = createServer((socket: Socket) => {
    let requests = 0;
    socket.on('error', () => {});
    const decoder = new FrameDecoder((frame) => {
      if (frame.kind === 1) socket.write(HELLO_REPLY);
      if (frame.kind === 2 && ++requests === replyTo) socket.write(reply(frame.id));
    });
    socket.on('data', (chunk) => decoder.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

describe('the client against a misbehaving server', () => {
  const cases: Array<[string, (id: number) => Buffer]> = [
    ['a response for an unknown id', (id) => encodeFrame(3, 0, id + 1000, '', '"stray"')],
    ['a malformed response (bad JSON)', (id) => encodeFrame(3, 0, id, '', '{oops')],
    ['an error frame without code', (id) => encodeFrame(4, 0, id, '', '{"message":"x"}')],
    ['an unknown frame kind', (id) => encodeFrame(99, 0, id, '')],
  ];

  it.each(cases)(
    '%s closes the connection with ERR_IPC_BAD_FRAME and fails the others with ERR_IPC_CLOSED',
    async (_name, reply) => {
      const path = join(tempDir(), 'fake.sock');
      const server = await fakeServer(path, 3, reply);
      try {
        const client = await connect(path);
        const closed = new Promise<unknown>((resolve) => client.once('close', resolve));
        const calls = [1, 2, 3].map((i) => codeOf(client.request('m', i)));
        const closeError = (await closed) as { code: string };
        expect(closeError.code).toBe('ERR_IPC_BAD_FRAME');
        expect(await Promise.all(calls)).toEqual(['ERR_IPC_CLOSED', 'ERR_IPC_CLOSED', 'ERR_IPC_CLOSED']);
        expect(client.closed).toBe(true);
      } finally {
        server.close();
      }
    },
  );

  it('ignores events named like its own (close, error) instead of faking them', async () => {
    const path = join(tempDir(), 'fake.sock');
    const server = await fakeServer(path, 1, (id) =>
      Buffer.concat([
        encodeFrame(5, 0, 0, 'error', '"fake"'),
        encodeFrame(5, 0, 0, 'close', '"fake"'),
        encodeFrame(5, 0, 0, 'tick', '1'),
        encodeFrame(3, 0, id, '', '"ok"'),
      ]),
    );
    try {
      const client = await connect(path);
      const ticks: unknown[] = [];
      let closes = 0;
      client.on('tick', (n) => ticks.push(n));
      client.on('close', () => closes++);
      expect(await client.request('m')).toBe('ok');
      expect(ticks).toEqual([1]);
      expect(closes).toBe(0);
      expect(client.closed).toBe(false);
      client.destroy();
    } finally {
      server.close();
    }
  });
});

describe.each(['unix', 'tcp'] as const)('the client when its server restarts (%s)', (transport) => {
  it('fails pending requests with ERR_IPC_CLOSED at once, ends closed with a close event, and a new connect works', async () => {
    const path = join(tempDir(), 'restart.sock');
    const first = await startOptionsServer(path, { transport });
    const client = await connect(path);
    const closeEvent = new Promise((resolve) => client.once('close', () => resolve('closed')));
    const pending = codeOf(client.request('delayedEcho', { value: 1, ms: 10_000 }));
    // The request is running in the server when it dies.
    await expect.poll(async () => (await stats(path)).running, { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    first.proc.kill('SIGKILL');
    expect(await pending).toBe('ERR_IPC_CLOSED');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await closeEvent).toBe('closed');
    expect(client.closed).toBe(true);
    expect(await codeOf(client.request('echo', 1))).toBe('ERR_IPC_CLOSED');
    await exited(first.proc);
    await startOptionsServer(path, { transport });
    const again = await connect(path);
    expect(await again.request('echo', 'back')).toBe('back');
    again.destroy();
  });
});

describe('limits the client learns from the hello', () => {
  it("fails only the one request over the server's maxFrameBytes, locally", async () => {
    const path = join(tempDir(), 'small.sock');
    await using server = await serve(path, {
      maxFrameBytes: 1024,
      handlers: { len: (b: Buffer) => b.length },
    });
    expect(server.transport).toBe('unix');
    await using client = await connect(path);
    expect(await codeOf(client.request('len', Buffer.alloc(2048)))).toBe('ERR_IPC_FRAME_TOO_LARGE');
    expect(await client.request('len', Buffer.alloc(1000))).toBe(1000);
  });

  it('lets a server greet a client from the connection event', async () => {
    const path = join(tempDir(), 'greet.sock');
    await using server = await serve(path);
    server.on('connection', (peer) => peer.notify('welcome', { id: peer.id }));
    const client = await connect(path);
    const welcome = await new Promise((resolve) => client.once('welcome', resolve));
    expect(welcome).toEqual({ id: expect.any(Number) });
    expect(() => server.broadcast('close')).toThrow(/reserved/);
    client.destroy();
  });
});
