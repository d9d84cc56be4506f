import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, isIpcError } from '../../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../../lib/protocol-entry.ts';
import {
  cleanup,
  codeOf,
  errorOf,
  exited,
  killAll,
  type Spawned,
  startFixture,
  startOptionsServer,
  startServer,
  tempDir,
} from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const HELLO_REPLY = encodeFrame(
  1,
  0,
  0,
  '',
  JSON.stringify({ protocol: 1, server: 'unixipc', maxFrameBytes: 1 << 20 }),
);

describe.each(['unix', 'tcp'] as const)('call() over %s', (transport) => {
  let path: string;
  let server: Spawned;

  async function setup(): Promise<void> {
    path = join(tempDir(), 'app.sock');
    server = await startServer(path, transport);
    expect(server.line).toContain(` ${transport}`);
  }

  it('makes one request and resolves with its result, whatever the encoding', async () => {
    await setup();
    expect(await call(path, 'upper', 'hello')).toBe('HELLO');
    expect(await call(path, 'add', { a: 2, b: 3 })).toBe(5);
    expect(await call(path, 'echo')).toBeUndefined();
    const bytes = Buffer.from([0, 1, 2, 255]);
    const echoed = await call(path, 'echo', bytes);
    expect(Buffer.isBuffer(echoed)).toBe(true);
    expect(echoed).toEqual(bytes);
    // A streamed result arrives as the array of its items, as with client.request().
    expect(await call(path, 'count', 5)).toEqual([0, 1, 2, 3, 4]);
    expect(await call(`unix:${path}`, 'upper', 'x')).toBe('X');
  });

  it('sends a large request right behind the hello (past the 4 KiB pre-hello limit)', async () => {
    await setup();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    expect(await call(path, 'length', big)).toBe(big.length);
    expect(await call(path, 'echo', 'x'.repeat(100_000))).toBe('x'.repeat(100_000));
  });

  it('reports what the server says with the usual codes', async () => {
    await setup();
    expect(await codeOf(call(path, 'nope'))).toBe('ERR_IPC_NO_METHOD');
    const remote = await errorOf(call(path, 'boom', 'it broke'));
    expect(isIpcError(remote) && remote.code).toBe('ERR_IPC_REMOTE');
    expect(remote.message).toBe('it broke');
    expect(isIpcError(remote) && remote.remoteCode).toBe('E_BOOM');
    // The server was not disturbed by any of it.
    expect(await call(path, 'upper', 'still here')).toBe('STILL HERE');
  });

  it('times out, and the server stops the handler too', async () => {
    await setup();
    const started = Date.now();
    expect(await codeOf(call(path, 'waitForAbort', undefined, { timeout: 150 }))).toBe('ERR_IPC_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect.poll(() => call(path, 'lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
  });

  it('is aborted through its signal, then or before it is sent', async () => {
    await setup();
    const controller = new AbortController();
    const pending = errorOf(call(path, 'waitForAbort', undefined, { signal: controller.signal }));
    // Aborted once the server runs it, so the cancel has something to stop there.
    await expect.poll(() => call(path, 'waiting'), { timeout: 5_000 }).toBe(1);
    controller.abort(new Error('user pressed ^C'));
    const aborted = await pending;
    expect(isIpcError(aborted) && aborted.code).toBe('ERR_IPC_ABORTED');
    await expect.poll(() => call(path, 'lastAborted'), { timeout: 5_000 }).toBe('ERR_IPC_ABORTED');
    // Already aborted: fails at once, without connecting (the path does not even exist).
    const missing = join(tempDir(), 'missing.sock');
    expect(await codeOf(call(missing, 'echo', 1, { signal: AbortSignal.abort() }))).toBe('ERR_IPC_ABORTED');
  });

  it('fails with ERR_IPC_CLOSED when the server dies before answering', async () => {
    await setup();
    expect(await codeOf(call(path, 'die', 20))).toBe('ERR_IPC_CLOSED');
  });

  it('runs from a CLI process (unixipc/call, import or require) that exits by itself once it has the answer', async () => {
    await setup();
    for (const fixture of ['call.mjs', 'call.cjs']) {
      const cli = await startFixture(fixture, [path, 'upper', '"from a cli"']);
      expect(cli.line).toBe('"FROM A CLI"');
      await exited(cli.proc, 5_000);
      expect((await cli.proc).exitCode).toBe(0);
      const failing = await startFixture(fixture, [path, 'nope']);
      expect(failing.line).toMatch(/^ERROR ERR_IPC_NO_METHOD /);
    }
  });
});

describe('the unixipc/call entry', () => {
  it('holds the one-shot call and the errors, without the Server, the Client or the safe bind', () => {
    for (const file of ['call.js', 'call.cjs']) {
      const code = readFileSync(new URL(`../../dist/${file}`, import.meta.url), 'utf8');
      expect(code).toMatch(/async function call\(/);
      expect(code).toMatch(/IpcError = class/);
      for (const absent of [
        /ServerImpl = class/,
        /ClientImpl = class/,
        /Connection = class/,
        /function bindPath/,
      ]) {
        expect(code).not.toMatch(absent);
      }
    }
    // The main entry does carry them: the patterns above would find them.
    const main = readFileSync(new URL('../../dist/index.js', import.meta.url), 'utf8');
    for (const present of [
      /ServerImpl = class/,
      /ClientImpl = class/,
      /Connection = class/,
      /function bindPath/,
    ]) {
      expect(main).toMatch(present);
    }
  });
});

describe('call() with bad input', () => {
  it('refuses a value JSON cannot carry before connecting', async () => {
    const missing = join(tempDir(), 'missing.sock');
    await expect(call(missing, 'echo', { n: 1n })).rejects.toMatchObject({ code: 'ERR_IPC_BAD_PARAMS' });
    await expect(call(missing, 'echo', () => 1)).rejects.toMatchObject({ code: 'ERR_IPC_BAD_PARAMS' });
    await expect(call(missing, '')).rejects.toThrow(TypeError);
  });

  it('fails with ERR_IPC_CONNECT where nothing listens, ERR_IPC_BAD_ENDPOINT for a bad endpoint', async () => {
    const dir = tempDir();
    expect(await codeOf(call(join(dir, 'missing.sock'), 'echo'))).toBe('ERR_IPC_CONNECT');
    expect(await codeOf(call('ftp://host/x', 'echo'))).toBe('ERR_IPC_BAD_ENDPOINT');
  });

  it('presents the token an explicit tcp:// server asks for, and reports ERR_IPC_AUTH without it', async () => {
    const server = await startOptionsServer('tcp://127.0.0.1:0', { token: 'sesame' });
    const endpoint = server.lines[0]!.split(' ')[1]!;
    expect(await call(endpoint, 'echo', 'in', { token: 'sesame' })).toBe('in');
    expect(await codeOf(call(endpoint, 'echo', 'in', { token: 'wrong' }))).toBe('ERR_IPC_AUTH');
    expect(await codeOf(call(endpoint, 'echo', 'in'))).toBe('ERR_IPC_AUTH');
  });

  it("reports a request over the server's maxFrameBytes with ERR_IPC_FRAME_TOO_LARGE, the server unharmed", async () => {
    for (const transport of ['unix', 'tcp']) {
      const path = join(tempDir(), 'small.sock');
      await startOptionsServer(path, { transport, maxFrameBytes: 1_000 });
      for (const size of [2_000, 1024 * 1024]) {
        expect(await codeOf(call(path, 'echo', Buffer.alloc(size)))).toBe('ERR_IPC_FRAME_TOO_LARGE');
      }
      expect(await call(path, 'echo', 'small')).toBe('small');
    }
  });

  it('follows a TCP descriptor and presents its token', async () => {
    const path = join(tempDir(), 'fallback.sock');
    await startOptionsServer(path, { transport: 'tcp' });
    expect(JSON.parse(readFileSync(path, 'utf8')).transport).toBe('tcp');
    expect(await call(path, 'echo', [1, 2])).toEqual([1, 2]);
  });
});

describe('call() against misbehaving servers', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  /** A raw server at a fresh path: `onFrame` sees each frame the client sends, with its socket. */
  async function rawServer(
    onFrame: (socket: Socket, frame: { kind: number; id: number; body: Buffer }) => void,
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<string> {
    const path = join(tempDir(), 'raw.sock');
    const server = createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
      socket.on('error', () => {});
      sockets.add(socket);
      const decoder = new FrameDecoder((f) => onFrame(socket, { kind: f.kind, id: f.id, body: f.body }));
      socket.on('data', (chunk) => decoder.push(chunk));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return path;
  }

  it('answers a PING in the middle of a call and ignores events', async () => {
    let pongs = 0;
    const path = await rawServer((socket, frame) => {
      if (frame.kind === 1) {
        socket.write(HELLO_REPLY);
      } else if (frame.kind === 2) {
        socket.write(encodeFrame(5, 0, 0, 'greeting', '"hi"'));
        socket.write(encodeFrame(9, 0, 42, ''));
      } else if (frame.kind === 10 && frame.id === 42) {
        pongs++;
        socket.write(encodeFrame(3, 0, 1, '', '"done"'));
      }
    });
    expect(await call(path, 'work')).toBe('done');
    expect(pongs).toBe(1);
  });

  it('cancels a call aborted before the hello reply: the request went out with the hello', async () => {
    const seen: number[] = [];
    const path = await rawServer((_socket, frame) => seen.push(frame.kind));
    const controller = new AbortController();
    const pending = codeOf(call(path, 'slow', 1, { signal: controller.signal }));
    // Aborted once the server has the hello and the request (it never answers the hello).
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(2);
    controller.abort();
    expect(await pending).toBe('ERR_IPC_ABORTED');
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([1, 2, 8]); // HELLO, REQUEST, CANCEL
  });

  it('cancels a call aborted while it connects: the hello and the request left with the connect', async () => {
    const seen: number[] = [];
    const path = await rawServer((_socket, frame) => seen.push(frame.kind));
    const controller = new AbortController();
    const pending = call(path, 'slow', 1, { signal: controller.signal });
    controller.abort(); // call() has issued the connect and queued its frames, and is waiting for it
    expect(await codeOf(pending)).toBe('ERR_IPC_ABORTED');
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual([1, 2, 8]); // HELLO, REQUEST, CANCEL
  });

  it('fails with ERR_IPC_CONNECT when the hello never comes, within connectTimeout', async () => {
    const path = await rawServer(() => {});
    const started = Date.now();
    expect(await codeOf(call(path, 'echo', 1, { connectTimeout: 200 }))).toBe('ERR_IPC_CONNECT');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('fails with ERR_IPC_BAD_FRAME for garbage, an answer to another id, or a frame before the hello', async () => {
    const garbage = await rawServer((socket) =>
      socket.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')),
    );
    expect(await codeOf(call(garbage, 'echo'))).toMatch(/^ERR_IPC_(BAD_FRAME|FRAME_TOO_LARGE)$/);
    const wrongId = await rawServer((socket, frame) => {
      if (frame.kind === 1) socket.write(Buffer.concat([HELLO_REPLY, encodeFrame(3, 0, 7, '', '1')]));
    });
    expect(await codeOf(call(wrongId, 'echo'))).toBe('ERR_IPC_BAD_FRAME');
    const early = await rawServer((socket) => socket.write(encodeFrame(3, 0, 1, '', '1')));
    expect(await codeOf(call(early, 'echo'))).toBe('ERR_IPC_BAD_FRAME');
  });

  it('holds the server hello to 4 KiB and the answer to maxFrameBytes', async () => {
    const bigHello = await rawServer((socket) =>
      socket.write(encodeFrame(1, 0, 0, '', JSON.stringify({ protocol: 1, pad: 'x'.repeat(5_000) }))),
    );
    expect(await codeOf(call(bigHello, 'echo'))).toBe('ERR_IPC_FRAME_TOO_LARGE');
    const bigAnswer = await rawServer((socket, frame) => {
      if (frame.kind === 1) socket.write(HELLO_REPLY);
      if (frame.kind === 2) socket.write(encodeFrame(3, 1, 1, '', Buffer.alloc(10_000)));
    });
    expect(await codeOf(call(bigAnswer, 'echo', 1, { maxFrameBytes: 1_000 }))).toBe(
      'ERR_IPC_FRAME_TOO_LARGE',
    );
    expect(await call(bigAnswer, 'echo', 1)).toHaveLength(10_000);
  });

  it('reports a refused hello with its code, and a version mismatch as ERR_IPC_VERSION', async () => {
    const refusing = await rawServer((socket) => {
      socket.end(encodeFrame(4, 0, 0, '', JSON.stringify({ code: 'ERR_IPC_AUTH', message: 'no' })));
    });
    expect(await codeOf(call(refusing, 'echo'))).toBe('ERR_IPC_AUTH');
    const future = await rawServer((socket) => socket.write(encodeFrame(1, 0, 0, '', '{"protocol":2}')));
    expect(await codeOf(call(future, 'echo'))).toBe('ERR_IPC_VERSION');
  });

  it('lets a CLI process exit even when the server never closes its side', async () => {
    const path = await rawServer(
      (socket, frame) => {
        if (frame.kind === 1) socket.write(HELLO_REPLY);
        if (frame.kind === 2) socket.write(encodeFrame(3, 0, 1, '', '"answered"'));
      },
      // Half-open allowed and never ended: the client's end() gets no reply.
      { allowHalfOpen: true },
    );
    const started = Date.now();
    const cli = await startFixture('call.mjs', [path, 'anything']);
    expect(cli.line).toBe('"answered"');
    await exited(cli.proc, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
