import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IpcError, parseEndpoint, type Server, serve } from '../../lib/index.ts';
import { encodeFrame, FrameDecoder } from '../../lib/protocol-entry.ts';

// The Python client is written from PROTOCOL.md alone; these tests hold the two to each other.
const CLIENT = fileURLToPath(new URL('../../examples/python-client/client.py', import.meta.url));
// client.py driven through the cases PROTOCOL.md spells out (abstract names, half-close, stalls, limits).
const SCENARIOS = fileURLToPath(new URL('../fixtures/python-scenarios.py', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;
// No __pycache__ left in the repository by the imports.
const PYTHON_ENV = { PYTHONDONTWRITEBYTECODE: '1' };

const hasPython = !execaSync('python3', ['--version'], { reject: false, timeout: 5_000 }).failed;
const suite = hasPython ? 'python client' : 'python client (skipped: python3 not found on PATH)';
if (!hasPython) console.info(`${suite}: install Python 3 to run examples/python-client against the server`);

function python(args: string[], options: { input?: Uint8Array } = {}) {
  return execa('python3', [CLIENT, ...args], {
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    encoding: 'buffer',
    env: PYTHON_ENV,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
}

/** Runs one scenario of python-scenarios.py and returns the JSON object it prints last. */
async function scenario(name: string, argument: string): Promise<Record<string, any>> {
  const run = await execa('python3', [SCENARIOS, name, argument], {
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    env: PYTHON_ENV,
    stdin: 'ignore',
  });
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

/** Kinds, as PROTOCOL.md section 3 numbers them. */
const STREAM_ITEM = 6;
const RESPONSE = 3;
const ERROR = 4;

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

describe.skipIf(!hasPython)(suite, () => {
  describe.each(['unix', 'tcp'] as const)('over %s', (transport) => {
    let dir: string;
    let sockPath: string;
    let server: Server;
    let lastAbort: Promise<IpcError>;
    let onAbort: (reason: IpcError) => void;
    /** Why the server's connections ended, in order. */
    const disconnects: Array<string | undefined> = [];
    /** The abort reasons of `held` requests, as they come. */
    const heldAborts: IpcError[] = [];

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-py-'));
      sockPath = path.join(dir, 'app.sock');
      lastAbort = new Promise((resolve) => {
        onAbort = resolve;
      });
      server = await serve(sockPath, {
        transport,
        // Small, so the frame-limit checks need small payloads (PROTOCOL.md 2.4).
        maxFrameBytes: 2048,
        handlers: {
          echo: (value: unknown) => value,
          notANumber: () => Number.NaN,
          bigint: () => 2n ** 64n,
          // Runs until its request is cancelled or its connection ends.
          held: (_params: unknown, ctx) =>
            new Promise((resolve) => {
              ctx.signal.addEventListener('abort', () => {
                heldAborts.push(ctx.signal.reason as IpcError);
                resolve('aborted');
              });
            }),
          add: ({ a, b }: { a: number; b: number }) => ({ sum: a + b, text: 'é✓' }),
          reverse: (bytes: Buffer) => Buffer.from(bytes).reverse(),
          fail: (message: string) => {
            const error = new TypeError(message) as TypeError & { code: string };
            error.code = 'EDEMO';
            throw error;
          },
          poke: (name: string, ctx) => {
            ctx.peer.notify(name, { n: 1 });
            ctx.peer.notify('raw', Buffer.from([1, 2, 3]));
            return 'poked';
          },
          async *count(n: number) {
            for (let i = 0; i < n; i++) yield i;
          },
          slow: (_params: unknown, ctx) =>
            new Promise((resolve) => {
              const timer = setTimeout(() => resolve('too late'), 5_000);
              ctx.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                onAbort(ctx.signal.reason as IpcError);
              });
            }),
        },
      });
      server.on('disconnect', (_peer, error) => disconnects.push(error?.code));
    });

    afterAll(async () => {
      await server?.close({ timeout: 1_000 });
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it(`serves the path over ${transport}`, () => {
      expect(server.transport).toBe(transport);
      const st = fs.lstatSync(sockPath);
      if (transport === 'unix') expect(st.isSocket()).toBe(true);
      else expect(JSON.parse(fs.readFileSync(sockPath, 'utf8'))).toMatchObject({ transport: 'tcp' });
    });

    it('sends JSON params and prints the JSON result', async () => {
      const run = await python([sockPath, 'add', '{"a": 2, "b": 40}']);
      expect(text(run.stderr)).toBe('');
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(text(run.stdout))).toEqual({ sum: 42, text: 'é✓' });
    });

    it('round-trips raw bytes (not JSON) both ways', async () => {
      const input = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x41]);
      const run = await python([sockPath, 'reverse', '--stdin-bytes'], { input });
      expect(text(run.stderr)).toBe('');
      expect(run.exitCode).toBe(0);
      expect(Buffer.from(run.stdout)).toEqual(Buffer.from([0x41, 0x80, 0x10, 0xff, 0x00]));
    });

    it('reports a handler error as ERR_IPC_REMOTE with its message', async () => {
      const run = await python([sockPath, 'fail', '"disk on fire"']);
      expect(run.exitCode).toBe(1);
      expect(text(run.stderr).trim()).toBe('ERR_IPC_REMOTE: disk on fire');
      expect(run.stdout.length).toBe(0);
    });

    it('reports an unknown method as ERR_IPC_NO_METHOD', async () => {
      const run = await python([sockPath, 'no.such.method', '1']);
      expect(run.exitCode).toBe(1);
      expect(text(run.stderr).trim()).toBe('ERR_IPC_NO_METHOD: no method "no.such.method"');
    });

    it('collects notifications that arrive while it waits', async () => {
      const run = await python([sockPath, 'poke', '"tick"', '--notifications']);
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(text(run.stdout))).toBe('poked');
      const lines = text(run.stderr)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toEqual([
        { notify: 'tick', data: { n: 1 } },
        { notify: 'raw', data: '010203' },
      ]);
    });

    it('returns a streamed result as a list', async () => {
      const run = await python([sockPath, 'count', '3']);
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(text(run.stdout))).toEqual([0, 1, 2]);
    });

    it('cancels a request on the server when it times out', async () => {
      const run = await python([sockPath, 'slow', '--timeout', '0.3']);
      expect(run.exitCode).toBe(1);
      expect(text(run.stderr)).toMatch(/^ERR_IPC_TIMEOUT: /);
      const reason = await lastAbort;
      // CANCEL arrives before the client hangs up, so the handler sees a cancel, not a disconnect.
      expect(reason.code).toBe('ERR_IPC_ABORTED');
    });

    if (transport === 'tcp') {
      it('is refused with ERR_IPC_AUTH on the bare port without the right token', async () => {
        const port = new URL(server.endpoint).port;
        const bare = await python([`tcp://127.0.0.1:${port}`, 'add', '{"a": 1, "b": 1}']);
        expect(bare.exitCode).toBe(1);
        expect(text(bare.stderr)).toMatch(/^ERR_IPC_AUTH: /);
        const wrong = await python([`tcp://127.0.0.1:${port}`, 'add', '{"a": 1, "b": 1}', '--token', 'nope']);
        expect(wrong.exitCode).toBe(1);
        expect(text(wrong.stderr)).toMatch(/^ERR_IPC_AUTH: /);
      });
    } else {
      it('needs no token over AF_UNIX (one given is ignored)', async () => {
        const run = await python([sockPath, 'add', '{"a": 1, "b": 1}', '--token', 'whatever']);
        expect(run.exitCode).toBe(0);
        expect(JSON.parse(text(run.stdout))).toEqual({ sum: 2, text: 'é✓' });
      });
    }

    it('keeps integers exact up to 2^53 and gets back the doubles the server made of larger ones (2.3.1)', async () => {
      const sent =
        '[9007199254740992, 9007199254740993, 18446744073709551617, -9223372036854775808, 1e21, 0.1]';
      const run = await python([sockPath, 'echo', sent]);
      expect(text(run.stderr)).toBe('');
      // Python parses integers exactly: these are the digits JavaScript wrote for the doubles it kept.
      expect(text(run.stdout).trim()).toBe(
        '[9007199254740992, 9007199254740992, 18446744073709552000, -9223372036854776000, 1e+21, 0.1]',
      );
    });

    it('gets NaN as null, and a BigInt result as ERR_IPC_REMOTE (2.3.1)', async () => {
      const nan = await python([sockPath, 'notANumber']);
      expect(text(nan.stdout).trim()).toBe('null');
      const big = await python([sockPath, 'bigint']);
      expect(big.exitCode).toBe(1);
      expect(text(big.stderr).trim()).toBe(
        'ERR_IPC_REMOTE: result of "bigint" could not be sent: IpcError: cannot send this value as JSON: Do not know how to serialize a BigInt',
      );
    });

    it("refuses, locally, to send a frame over the server's maxFrameBytes, and keeps the connection (2.4)", async () => {
      const before = disconnects.length;
      const out = await scenario('frame-limit', sockPath);
      expect(out).toEqual({
        announced: 2048,
        atLimit: 2042, // a body of exactly maxFrameBytes is accepted
        overLimit: 'ERR_IPC_FRAME_TOO_LARGE',
        notifyOverLimit: 'ERR_IPC_FRAME_TOO_LARGE',
        afterwards: 'still open',
        // Its own limit on what it reads: an answer over it ends the connection, with ERROR id 0.
        ownLimit: 'ERR_IPC_FRAME_TOO_LARGE',
        afterOwnLimit: 'ERR_IPC_CLOSED',
      });
      // The first connection closed normally; the second was closed by the client's ERROR id 0.
      await expect
        .poll(() => disconnects.slice(before), { timeout: 5_000 })
        .toEqual([undefined, 'ERR_IPC_FRAME_TOO_LARGE']);
    });

    it('gets, after its FIN, only what was already written, and its running handlers are aborted (11)', async () => {
      const aborted = heldAborts.length;
      const out = await scenario('half-close', sockPath);
      // "echo" answered in the same read as its request; "held" was still running at the EOF.
      expect(out).toEqual({
        frames: [[RESPONSE, 1, 'answered at once']],
        end: 'the server closed the connection',
      });
      await expect.poll(() => heldAborts.length, { timeout: 5_000 }).toBe(aborted + 1);
      expect(heldAborts.at(-1)).toMatchObject({ code: 'ERR_IPC_CLOSED', message: 'the connection closed' });
    });

    it('reads unix:, unix:/// and unix:// endpoints as the reference does (1.1)', async () => {
      // unix:// + an absolute path is unix:/// (two slashes dropped); unix:/ + it is //PATH, which is PATH.
      for (const endpoint of [`unix:${sockPath}`, `unix://${sockPath}`, `unix:/${sockPath}`]) {
        expect(parseEndpoint(endpoint)).toEqual({ kind: 'path', path: sockPath });
        const run = await python([endpoint, 'echo', '"via unix:"']);
        expect(text(run.stderr)).toBe('');
        expect(JSON.parse(text(run.stdout))).toBe('via unix:');
      }
      // No host part: unix://./NAME is /NAME, not ./NAME.
      expect(parseEndpoint('unix://./app.sock')).toEqual({ kind: 'path', path: '/app.sock' });
    });

    it('fails with ERR_IPC_CONNECT when nothing is at the path', async () => {
      const run = await python([path.join(dir, 'missing.sock'), 'add', '{}']);
      expect(run.exitCode).toBe(1);
      expect(text(run.stderr)).toMatch(/^ERR_IPC_CONNECT: /);
    });
  });

  describe.each(['unix', 'tcp'] as const)(
    'a reader that stalls past the heartbeat, over %s (9)',
    (transport) => {
      it('is dropped by the server without an ERROR frame, and reads what was sent, then EOF', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-py-stall-'));
        const server = await serve(path.join(dir, 'stall.sock'), {
          transport,
          heartbeatInterval: 200,
          handlers: {
            // An endless stream: only the socket's flow control holds it back.
            async *flood(_params: unknown, ctx) {
              const item = Buffer.alloc(64 * 1024, 7);
              while (!ctx.signal.aborted) yield item;
            },
          },
        });
        const disconnected = new Promise<IpcError | undefined>((resolve) => {
          server.once('disconnect', (_peer, error) => resolve(error));
        });
        const run = execa('python3', [SCENARIOS, 'stall', path.join(dir, 'stall.sock')], {
          reject: false,
          timeout: RUN_TIMEOUT_MS,
          env: PYTHON_ENV,
          stdin: 'pipe',
        });
        try {
          // The client has asked and reads nothing; the server's writes back up, its PING waits unread.
          const why = await Promise.race([
            disconnected,
            run.then((result) => {
              throw new Error(`the scenario ended before the drop: ${result.stdout} ${result.stderr}`);
            }),
          ]);
          expect(why).toMatchObject({ code: 'ERR_IPC_CLOSED' });
          expect(why?.message).toMatch(/did not answer a heartbeat/);
          run.stdin?.end('go\n'); // now it reads
          const result = await run;
          expect(result.stderr).toBe('');
          const out = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
          expect(out.items).toBeGreaterThan(0);
          expect(out.kinds).toEqual([STREAM_ITEM]); // no ERROR frame, no STREAM_END
          expect(out.end).toMatch(/^(the server closed the connection|connection lost: .*reset.*)$/);
        } finally {
          run.kill();
          await server.close({ timeout: 100 });
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    },
  );

  describe.skipIf(process.platform !== 'linux')('an abstract name (1.6)', () => {
    it('is reached padded to the whole of sun_path; the exact-length address is another name', async () => {
      const name = `unixipc-py-${randomBytes(6).toString('hex')}`;
      const server = await serve(`\0${name}`, { handlers: { echo: (value: unknown) => value } });
      try {
        expect(await scenario('abstract', name)).toEqual({
          padded: 'over an abstract name',
          unixPrefix: 'unix: prefix',
          exact: 'ECONNREFUSED',
          addressBytes: 108,
        });
        // The command line takes the name as the two characters \0 then the name.
        const run = await python([`\\0${name}`, 'echo', '"from the command line"']);
        expect(text(run.stderr)).toBe('');
        expect(JSON.parse(text(run.stdout))).toBe('from the command line');
      } finally {
        await server.close();
      }
    });
  });

  describe('a server that sends a RESPONSE after STREAM_ITEMs (6)', () => {
    let dir: string;
    let raw: NetServer;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-py-raw-'));
      // Not the reference server (it never does this): a raw one that answers every request so.
      raw = createServer((socket) => {
        socket.on('error', () => {});
        let hello = false;
        const decoder = new FrameDecoder((frame) => {
          if (!hello) {
            hello = true;
            const reply = { protocol: 1, server: 'unixipc', maxFrameBytes: 1 << 20 };
            socket.write(encodeFrame(1, 0, 0, '', JSON.stringify(reply)));
          } else if (frame.kind === 2) {
            socket.write(encodeFrame(STREAM_ITEM, 0, frame.id, '', '1'));
            socket.write(encodeFrame(STREAM_ITEM, 0, frame.id, '', '2'));
            socket.write(encodeFrame(RESPONSE, 0, frame.id, '', '"final"'));
          }
        });
        socket.on('data', (chunk) => decoder.push(chunk));
      });
      await new Promise<void>((resolve) => raw.listen(path.join(dir, 'raw.sock'), resolve));
    });

    afterAll(async () => {
      await new Promise((resolve) => raw.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('takes the RESPONSE as the result and drops the items, as the Node client does', async () => {
      const run = await python([path.join(dir, 'raw.sock'), 'anything', '1']);
      expect(text(run.stderr)).toBe('');
      expect(run.exitCode).toBe(0);
      expect(JSON.parse(text(run.stdout))).toBe('final');
      expect(ERROR).toBe(4); // and no ERROR: it is not a protocol error
    });
  });
});
