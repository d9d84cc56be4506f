import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IpcError, type Server, serve } from '../../lib/index.ts';

// The Python client is written from PROTOCOL.md alone; these tests hold the two to each other.
const CLIENT = fileURLToPath(new URL('../../examples/python-client/client.py', import.meta.url));
const RUN_TIMEOUT_MS = 15_000;

const hasPython = !execaSync('python3', ['--version'], { reject: false, timeout: 5_000 }).failed;
const suite = hasPython ? 'python client' : 'python client (skipped: python3 not found on PATH)';
if (!hasPython) console.info(`${suite}: install Python 3 to run examples/python-client against the server`);

function python(args: string[], options: { input?: Uint8Array } = {}) {
  return execa('python3', [CLIENT, ...args], {
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    encoding: 'buffer',
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
}

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

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixipc-py-'));
      sockPath = path.join(dir, 'app.sock');
      lastAbort = new Promise((resolve) => {
        onAbort = resolve;
      });
      server = await serve(sockPath, {
        transport,
        handlers: {
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

    it('fails with ERR_IPC_CONNECT when nothing is at the path', async () => {
      const run = await python([path.join(dir, 'missing.sock'), 'add', '{}']);
      expect(run.exitCode).toBe(1);
      expect(text(run.stderr)).toMatch(/^ERR_IPC_CONNECT: /);
    });
  });
});
