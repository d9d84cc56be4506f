import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../../lib/protocol-entry.ts';
import { cleanup, codeOf, killAll, spawnLines, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

describe('same user only, by default', () => {
  it('creates the socket 0600 in a new 0700 directory', async () => {
    const dir = join(tempDir(), 'run', 'app');
    const path = join(dir, 'app.sock');
    await startOptionsServer(path, { transport: 'unix' });
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, '..')).mode & 0o777).toBe(0o700);
  });

  it('refuses a directory another user could write to, naming it and its mode', async () => {
    for (const mode of [0o777, 0o770, 0o722]) {
      const dir = join(tempDir(), 'open');
      mkdirSync(dir);
      chmodSync(dir, mode);
      const server = spawnLines('options-server.mjs', [join(dir, 'app.sock'), '{}']);
      const line = await server.waitFor(/^(READY|ERROR)/);
      expect(line).toMatch(/^ERROR ERR_IPC_LISTEN /);
      expect(line).toContain(dir);
      expect(line).toContain(`mode ${mode.toString(8)}`);
    }
  });

  it('widens access only when told: allowSharedDir and mode', async () => {
    const dir = join(tempDir(), 'group');
    mkdirSync(dir);
    chmodSync(dir, 0o770);
    const path = join(dir, 'app.sock');
    await startOptionsServer(path, { allowSharedDir: true, mode: 0o660 });
    expect(lstatSync(path).mode & 0o777).toBe(0o660);
  });
});

describe('the TCP fallback demands its token on every connection', () => {
  function exchange(port: number, bytes: Buffer): Promise<{ kinds: number[]; codes: string[]; ms: number }> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1');
      const kinds: number[] = [];
      const codes: string[] = [];
      const decoder = new FrameDecoder((f) => {
        kinds.push(f.kind);
        if (f.kind === 4) codes.push(JSON.parse(f.body.toString()).code);
      });
      socket.on('data', (chunk) => decoder.push(chunk));
      socket.on('connect', () => socket.write(bytes));
      socket.on('error', () => {});
      const timer = setTimeout(() => reject(new Error('the server did not close the connection')), 10_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ kinds, codes, ms: Date.now() - started });
      });
    });
  }

  it('closes raw connections with no token, a wrong token, or a truncated hello, before any handler runs', async () => {
    const path = join(tempDir(), 'tcp.sock');
    await startOptionsServer(path, { transport: 'tcp', handshakeTimeout: 500 });
    const descriptor = JSON.parse(readFileSync(path, 'utf8'));
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    const request = encodeFrame(2, 0, 1, 'echo', '"sneaky"');
    const hello = (token?: string) => encodeFrame(1, 0, 0, '', JSON.stringify({ protocol: 1, token }));
    for (const token of [undefined, 'wrong', descriptor.token.slice(0, -1), `${descriptor.token}x`, '']) {
      const got = await exchange(descriptor.port, Buffer.concat([hello(token), request]));
      expect(got.kinds).toEqual([4]); // one ERROR frame, no RESPONSE
      expect(got.codes).toEqual(['ERR_IPC_AUTH']);
    }
    // A request before any hello is refused too.
    expect((await exchange(descriptor.port, request)).codes).toEqual(['ERR_IPC_BAD_FRAME']);
    const truncated = await exchange(descriptor.port, hello(descriptor.token).subarray(0, 20));
    expect(truncated.kinds).toEqual([4]);
    expect(truncated.ms).toBeGreaterThanOrEqual(400);
    // Nothing above reached a handler; the right token does.
    const client = await connect(path);
    expect(await client.request('stats')).toMatchObject({ handled: 0 });
    expect(await client.request('echo', 'ok')).toBe('ok');
    client.destroy();
    expect(await codeOf(connect(`tcp://127.0.0.1:${descriptor.port}`))).toBe('ERR_IPC_AUTH');
  });

  it('holds frames to 4 KiB until the hello is done: a large header is refused at once, not waited for', async () => {
    const path = join(tempDir(), 'tcp.sock');
    await startOptionsServer(path, { transport: 'tcp', handshakeTimeout: 10_000 });
    const descriptor = JSON.parse(readFileSync(path, 'utf8'));
    // A request header announcing 1 MiB, far under maxFrameBytes: before this fix the server
    // allocated the body and waited for it until the handshake timeout.
    const header = encodeFrame(2, 0, 1, 'echo', 'x').subarray(0, 12);
    header.writeUInt32BE(1024 * 1024, 0);
    for (const first of [
      header,
      encodeFrame(1, 0, 0, '', JSON.stringify({ protocol: 1, pad: 'x'.repeat(5000) })),
    ]) {
      const got = await exchange(descriptor.port, first);
      expect(got.codes).toEqual(['ERR_IPC_FRAME_TOO_LARGE']);
      expect(got.ms).toBeLessThan(5_000);
    }
    // After the hello the full limit applies.
    const client = await connect(path);
    const big = 'y'.repeat(1024 * 1024);
    expect(await client.request('echo', big)).toBe(big);
    client.destroy();
  });
});

describe('method lookup cannot be tricked', () => {
  it('refuses prototype names and odd names, and payloads cannot pollute prototypes', async () => {
    const path = join(tempDir(), 'methods.sock');
    await startOptionsServer(path);
    const client = await connect(path);
    const names = [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'valueOf',
      '__defineGetter__',
      'isPrototypeOf',
    ];
    const odd = ['echo ', ' echo', 'ECHO', 'echo\n', 'echo\u0000', 'ech\u200bo', '../echo', 'echo/x'];
    for (const method of [...names, ...odd]) {
      expect(await codeOf(client.request(method, 1))).toBe('ERR_IPC_NO_METHOD');
    }
    const evil = JSON.parse(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    );
    expect(await client.request('inspect', evil)).toEqual({
      polluted: null,
      ownKeys: ['__proto__', 'constructor'],
      plainPrototype: true,
    });
    expect(await client.request('inspect', { a: 1 })).toMatchObject({ polluted: null, ownKeys: ['a'] });
    client.destroy();
  });
});
