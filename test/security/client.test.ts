// The client side: a server is not trusted either. call() and connect() fail with an IpcError,
// never crash the process, and hold a bounded amount of whatever a hostile server sends.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { call, connect, isIpcError } from '../../lib/index.ts';
import { cleanup, errorOf, killAll, type LineProcess, spawnLines, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

async function fixture(name: string, args: string[]): Promise<{ proc: LineProcess; line: string }> {
  const proc = spawnLines(join(FIXTURES, name), args);
  return { proc, line: await proc.waitFor(/^READY /) };
}

describe.each(['unix', 'tcp'] as const)('a server that closes right after accept (%s)', (kind) => {
  it('fails every call() and connect() with ERR_IPC_CONNECT, in this process and in CLIs, never an unhandled EPIPE', async () => {
    const path = join(tempDir(), 'closer.sock');
    const { line } = await fixture('closer.mjs', [kind, path]);
    const endpoint = kind === 'tcp' ? `tcp://127.0.0.1:${line.split(' ')[1]}` : path;
    for (let i = 0; i < 40; i++) {
      // One at a time: a second attempt made before the first is awaited would reject unwatched.
      for (const attempt of [() => call(endpoint, 'echo', 'x'.repeat(100_000)), () => connect(endpoint)]) {
        const error = await errorOf(attempt());
        expect(isIpcError(error) && error.code, error.message).toBe('ERR_IPC_CONNECT');
      }
    }
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? execa(process.execPath, [join(FIXTURES, '../../fixtures/call.mjs'), endpoint, 'echo', '"hi"'], {
              reject: false,
            })
          : execa(process.execPath, [CLI, 'call', endpoint, 'echo', '"hi"'], { reject: false }),
      ),
    );
    for (const run of runs) {
      expect(run.exitCode).toBe(1);
      expect(`${run.stdout}${run.stderr}`).toContain('ERR_IPC_CONNECT');
      expect(run.stderr).not.toMatch(/Unhandled|node:events|EPIPE\n\s+at /);
    }
  });
});

describe('a server that floods its client', () => {
  it('fails request() once a streamed result is over maxBufferedBytes, and cancels it', async () => {
    const path = join(tempDir(), 'flood.sock');
    const { proc } = await fixture('flood-server.mjs', [path]);
    const client = await connect(path, { maxBufferedBytes: 8 * 1024 * 1024 });
    const error = await errorOf(client.request('anything'));
    expect(isIpcError(error) && error.code).toBe('ERR_IPC_FRAME_TOO_LARGE');
    expect(error.message).toContain('maxBufferedBytes (8388608)');
    expect(
      await errorOf(call(path, 'anything', undefined, { maxBufferedBytes: 4 * 1024 * 1024 })),
    ).toMatchObject({
      code: 'ERR_IPC_FRAME_TOO_LARGE',
    });
    client.destroy();
    expect(Number(proc.lines.at(-1)?.split(' ')[1])).toBeLessThan(512);
  });

  it('stops reading a stream nobody reads, so the server cannot make it hold more than about 16 MiB', async () => {
    const path = join(tempDir(), 'flood.sock');
    const { proc } = await fixture('flood-server.mjs', [path]);
    const client = await connect(path);
    const items = client.stream('anything')[Symbol.asyncIterator]();
    await items.next(); // one item, then the consumer stops reading
    const sent = () =>
      Number(
        proc.lines
          .filter((l) => l.startsWith('SENT'))
          .at(-1)
          ?.split(' ')[1] ?? 0,
      );
    // Wait until the server stops getting anywhere (bounded), then see how far it got.
    let last = -1;
    let still = 0;
    for (let i = 0; i < 100 && still < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      still = sent() === last ? still + 1 : 0;
      last = sent();
    }
    expect(still).toBe(3);
    console.log(`flooding server got ${last} MiB out before the unread stream stopped the client reading`);
    expect(last).toBeLessThan(40);
    client.destroy();
  });
});
