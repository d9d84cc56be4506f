// What PROTOCOL.md says the reference implementation does, checked against it: the worked example's
// bytes, the padded abstract names, ERR_IPC_CLOSED on the wire, a RESPONSE after STREAM_ITEMs, the
// frame-size checks, numbers, and a stream reader dropped by the heartbeat. (The Python client,
// written from the document, is held to it in python-client.test.ts.)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, type IpcError, isIpcError, parseEndpoint, serve } from '../../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../../lib/protocol-entry.ts';
import { cleanup, codeOf, errorOf, frameLog, rawClient, tempDir } from '../helpers.ts';

const DOC = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');
const HELLO = 1;
const REQUEST = 2;
const RESPONSE = 3;
const ERROR = 4;
const STREAM_ITEM = 6;

const closers: Array<() => Promise<unknown> | undefined> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(cleanup);

/** A raw server at a fresh path: says hello (with HELLO as its reply) and hands each later frame to ONFRAME. */
async function rawServer(
  hello: Record<string, unknown> | undefined,
  onFrame: (socket: Socket, frame: { kind: number; id: number; body: Buffer }) => void,
  received?: Buffer[],
): Promise<string> {
  const path = join(tempDir(), 'raw.sock');
  const server: NetServer = createServer((socket) => {
    socket.on('error', () => {});
    let greeted = false;
    const decoder = new FrameDecoder((frame) => {
      if (!greeted) {
        greeted = true;
        const reply = hello ?? { protocol: 1, server: 'unixipc', maxFrameBytes: 1 << 20 };
        socket.write(encodeFrame(HELLO, 0, 0, '', JSON.stringify(reply)));
        return;
      }
      onFrame(socket, { kind: frame.kind, id: frame.id, body: Buffer.from(frame.body) });
    });
    socket.on('data', (chunk: Buffer) => {
      received?.push(chunk);
      decoder.push(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return path;
}

function docHex(direction: string): Buffer {
  const match = new RegExp(`${direction}\\n\`([0-9a-f]+)\``).exec(DOC);
  if (!match) throw new Error(`PROTOCOL.md 13: no hex stream for ${direction}`);
  return Buffer.from(match[1]!, 'hex');
}

describe('PROTOCOL.md 13: the worked example', () => {
  const clientBytes = docHex('client → server');
  const serverBytes = docHex('server → client');
  const docHello = '{"protocol":1,"server":"unixipc","maxFrameBytes":67108864,"pid":4242}';

  it('is what connect() sends, and its server half is what connect() reads', async () => {
    expect(serverBytes.subarray(0, 12 + docHello.length)).toEqual(encodeFrame(HELLO, 0, 0, '', docHello));
    const received: Buffer[] = [];
    const path = await rawServer(
      JSON.parse(docHello),
      (socket, frame) => {
        if (frame.kind === REQUEST) socket.write(serverBytes.subarray(12 + docHello.length));
      },
      received,
    );
    const client = await connect(path);
    closers.push(() => client.close());
    expect(await client.request('upper', 'hi')).toBe('HI');
    expect(client.server).toMatchObject({ protocol: 1, maxFrameBytes: 67108864, pid: 4242 });
    expect(Buffer.concat(received).toString('hex')).toBe(clientBytes.toString('hex'));
  });

  it('is what serve() answers, byte for byte but for its pid', async () => {
    const path = join(tempDir(), 'app.sock');
    const server = await serve(path, { handlers: { upper: (s: string) => s.toUpperCase() } });
    closers.push(() => server.close());
    const socket = await rawClient(path, false);
    closers.push(async () => socket.destroy());
    const chunks: Buffer[] = [];
    const log = frameLog(socket);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(clientBytes);
    await log.waitFor((frame) => frame.kind === RESPONSE);
    const expected = Buffer.concat([
      encodeFrame(HELLO, 0, 0, '', docHello.replace('4242', String(process.pid))),
      serverBytes.subarray(12 + docHello.length),
    ]);
    expect(Buffer.concat(chunks).toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('PROTOCOL.md 1.1: unix: endpoints', () => {
  it.each([
    ['unix:/run/app.sock', '/run/app.sock'],
    ['unix:///run/app.sock', '/run/app.sock'],
    ['unix:app.sock', resolve('app.sock')],
    ['unix://run/app.sock', '/run/app.sock'],
    ['unix://./app.sock', '/app.sock'],
    ['unix:/a%20b.sock', '/a%20b.sock'],
    ['unix:\0app', '\0app'],
  ])('%s is the path %s', (written, path) => {
    expect(parseEndpoint(written)).toEqual({ kind: 'path', path });
  });
});

describe.skipIf(process.platform !== 'linux')('PROTOCOL.md 1.6: abstract names', () => {
  it('are bound padded with NULs to the whole of sun_path', async () => {
    const name = `unixipc-doc-${randomBytes(6).toString('hex')}`;
    const server = await serve(`\0${name}`, { handlers: { echo: (value: unknown) => value } });
    closers.push(() => server.close());
    // /proc/net/unix prints the address with each NUL as '@': the leading one, then the padding.
    const line = readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .find((entry) => entry.includes(name));
    const address = line?.split(' ').at(-1);
    expect(address).toBe(`@${name}${'@'.repeat(107 - name.length)}`);
    expect(address).toHaveLength(108);
    const client = await connect(`\0${name}`);
    closers.push(() => client.close());
    expect(await client.request('echo', 'padded both ways')).toBe('padded both ways');
  });
});

describe('PROTOCOL.md 10.2: ERR_IPC_CLOSED travels on the wire', () => {
  it('answers a request that arrives while the server closes: it was not run', async () => {
    let release: (value: string) => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let echoes = 0;
    const path = join(tempDir(), 'closing.sock');
    const server = await serve(path, {
      handlers: {
        hold: () => {
          started();
          return new Promise((resolve) => {
            release = resolve;
          });
        },
        echo: (value: unknown) => {
          echoes++;
          return value;
        },
      },
    });
    const socket = await rawClient(path);
    closers.push(async () => socket.destroy());
    const log = frameLog(socket);
    socket.write(encodeFrame(REQUEST, 0, 1, 'hold', '1'));
    await running;
    const closing = server.close();
    // close() stops accepting first, then turns to the open connections: until it has, a request is
    // still run. Ask until one is refused (each attempt waits for its own answer).
    let id = 1;
    let answered = 0;
    await expect
      .poll(
        async () => {
          const mine = ++id;
          socket.write(encodeFrame(REQUEST, 0, mine, 'echo', String(mine)));
          const answer = await log.waitFor((frame) => frame.id === mine);
          if (answer.kind !== ERROR) answered++;
          return answer.kind === ERROR ? JSON.parse(answer.text) : answer.text;
        },
        { timeout: 5_000, interval: 1 },
      )
      .toEqual({ code: 'ERR_IPC_CLOSED', message: 'the server is closing; "echo" was not run' });
    expect(echoes).toBe(answered);
    release('done');
    expect((await log.waitFor((frame) => frame.id === 1)).text).toBe('"done"');
    await closing;
  });

  it('tells a peer with no hello within helloTimeout, and one past maxConnections, with id 0', async () => {
    const path = join(tempDir(), 'hello.sock');
    const server = await serve(path, { helloTimeout: 200, maxConnections: 1 });
    closers.push(() => server.close());
    const mute = await rawClient(path, false);
    closers.push(async () => mute.destroy());
    const muteLog = frameLog(mute);
    const timedOut = await muteLog.waitFor((frame) => frame.kind === ERROR);
    expect(timedOut.id).toBe(0);
    expect(JSON.parse(timedOut.text)).toEqual({ code: 'ERR_IPC_CLOSED', message: 'no hello within 200 ms' });
    const first = await connect(path);
    closers.push(() => first.close());
    const second = await rawClient(path);
    closers.push(async () => second.destroy());
    const full = await frameLog(second).waitFor((frame) => frame.kind === ERROR);
    expect(full.id).toBe(0);
    expect(JSON.parse(full.text)).toEqual({
      code: 'ERR_IPC_CLOSED',
      message: 'the server is at maxConnections (1)',
    });
  });
});

describe('PROTOCOL.md 6: a RESPONSE after STREAM_ITEMs', () => {
  it('ends the request: request() takes its value, stream() yields it after the items', async () => {
    const path = await rawServer(undefined, (socket, frame) => {
      if (frame.kind !== REQUEST) return;
      socket.write(encodeFrame(STREAM_ITEM, 0, frame.id, '', '1'));
      socket.write(encodeFrame(STREAM_ITEM, 0, frame.id, '', '2'));
      socket.write(encodeFrame(RESPONSE, 0, frame.id, '', '"final"'));
    });
    const client = await connect(path);
    closers.push(() => client.close());
    expect(await client.request('mixed')).toBe('final');
    const items: unknown[] = [];
    for await (const item of client.stream('mixed')) items.push(item);
    expect(items).toEqual([1, 2, 'final']);
    // The id was freed, not treated as a protocol error: the connection goes on.
    expect(await client.request('mixed')).toBe('final');
  });
});

describe('PROTOCOL.md 2.4: the client and the server announced maxFrameBytes', () => {
  it('refuses a request or a notification over it locally, and keeps the connection', async () => {
    const path = join(tempDir(), 'limit.sock');
    const server = await serve(path, { maxFrameBytes: 1000, handlers: { echo: (value: unknown) => value } });
    closers.push(() => server.close());
    const client = await connect(path);
    closers.push(() => client.close());
    // body = "echo" (4 bytes) + a JSON string: 2 quotes and n characters
    expect(await client.request('echo', 'x'.repeat(994))).toHaveLength(994);
    const over = await errorOf(client.request('echo', 'x'.repeat(995)));
    expect(isIpcError(over) && over.code).toBe('ERR_IPC_FRAME_TOO_LARGE');
    expect(over.message).toBe(`"echo" request is over the server's maxFrameBytes (1000)`);
    expect(await client.request('echo', 'still open')).toBe('still open');
    // A notification too: sent, it would have closed the whole connection.
    expect(() => client.notify('echo', 'x'.repeat(2000))).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_FRAME_TOO_LARGE' }),
    );
    expect(await client.request('echo', 'after')).toBe('after');
  });

  it('checks nothing when the hello reply has no maxFrameBytes', async () => {
    const sizes: number[] = [];
    const path = await rawServer({ protocol: 1, server: 'unixipc' }, (socket, frame) => {
      sizes.push(frame.body.length);
      socket.write(encodeFrame(RESPONSE, 0, frame.id, '', '"ok"'));
    });
    const client = await connect(path);
    closers.push(() => client.close());
    expect(await client.request('echo', 'x'.repeat(100_000))).toBe('ok');
    expect(sizes).toEqual([4 + 100_002]);
  });
});

describe('PROTOCOL.md 2.3.1: numbers', () => {
  it('rounds integers past 2^53 and writes NaN as null; a BigInt is ERR_IPC_BAD_PARAMS, and nothing is sent', async () => {
    const bodies: string[] = [];
    const path = await rawServer(undefined, (socket, frame) => {
      bodies.push(frame.body.toString());
      socket.write(encodeFrame(RESPONSE, 0, frame.id, '', '[9007199254740993,18446744073709551617]'));
    });
    const client = await connect(path);
    closers.push(() => client.close());
    expect(await client.request('n', [Number.NaN, -0, 2 ** 64])).toEqual([9007199254740992, 2 ** 64]);
    expect(bodies).toEqual(['n[null,0,18446744073709552000]']);
    const error = await errorOf(client.request('n', 1n));
    expect(isIpcError(error) && error.code).toBe('ERR_IPC_BAD_PARAMS');
    expect(await client.request('n', 1)).toEqual([9007199254740992, 2 ** 64]);
    expect(bodies).toHaveLength(2); // the BigInt request never left
  });
});

describe('PROTOCOL.md 9: a stream reader that stops past the heartbeat', () => {
  it('is dropped by the server; the call fails with ERR_IPC_CLOSED and close carries no error', async () => {
    const path = join(tempDir(), 'stall.sock');
    const server = await serve(path, {
      heartbeatInterval: 200,
      handlers: {
        async *flood(_params: unknown, ctx) {
          const item = Buffer.alloc(64 * 1024, 7);
          while (!ctx.signal.aborted) yield item;
        },
      },
    });
    closers.push(() => server.close({ timeout: 100 }));
    const dropped = new Promise<IpcError | undefined>((resolve) => {
      server.once('disconnect', (_peer, error) => resolve(error));
    });
    const client = await connect(path, { heartbeatInterval: 200 });
    closers.push(async () => client.destroy());
    const closed = new Promise<IpcError | undefined>((resolve) => client.once('close', resolve));
    let items = 0;
    const failed = codeOf(
      (async () => {
        for await (const _item of client.stream('flood')) {
          // The consumer stops at its first item until the server has given up on it.
          if (++items === 1) expect((await dropped)?.message).toMatch(/did not answer a heartbeat/);
        }
      })(),
    );
    expect(await failed).toBe('ERR_IPC_CLOSED');
    expect(items).toBeGreaterThan(1); // what was already in its socket was read first
    expect(await closed).toBeUndefined();
  });
});
