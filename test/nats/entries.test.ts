// The NATS client is an optional peer dependency of unixipc/nats alone: the main entry (and the
// call entry) must run where it is not installed, and unixipc/nats must say how to install it.
// The built bundles are copied to a temp dir with no node_modules above it, and run there.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../helpers.ts';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
const BUNDLES = ['index.js', 'index.cjs', 'call.js', 'call.cjs', 'nats.js', 'nats.cjs'];

afterAll(cleanup);

/** A directory holding copies of the built bundles, where no package but Node's own resolves. */
function isolated(): string {
  const dir = tempDir('uipc-entries-');
  for (const file of BUNDLES) copyFileSync(join(dist, file), join(dir, file));
  return dir;
}

async function run(dir: string, code: string, type: 'module' | 'commonjs'): Promise<string> {
  const result = await execa('node', [`--input-type=${type}`, '-e', code], {
    cwd: dir,
    reject: false,
    timeout: 20_000,
  });
  expect(result.stderr).toBe('');
  expect(result.exitCode).toBe(0);
  return result.stdout;
}

describe('entries and the optional NATS client', () => {
  it('the main and call bundles never mention the NATS client', () => {
    for (const file of ['index.js', 'index.cjs', 'call.js', 'call.cjs']) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect(text).not.toContain('@nats-io');
      expect(text).not.toContain('transport-node');
    }
    // The NATS bundle loads it, by a dynamic import only.
    for (const file of ['nats.js', 'nats.cjs']) {
      const text = readFileSync(join(dist, file), 'utf8');
      expect(text).toContain('"@nats-io/transport-node"');
      expect(text).not.toMatch(/^import .*from/m);
      expect(text).not.toMatch(/require\("@nats-io/);
    }
  });

  it('the main entry serves and connects where no package at all can be resolved (ESM and CJS)', async () => {
    const dir = isolated();
    const script = (load: string) => `
      ${load}
      const server = await m.serve('tcp://127.0.0.1:0', { handlers: { upper: (s) => s.toUpperCase() } });
      const client = await m.connect(server.endpoint);
      console.log(await client.request('upper', 'alone'));
      await client.close(); await server.close();`;
    expect(await run(dir, script("const m = await import('./index.js');"), 'module')).toBe('ALONE');
    expect(
      await run(dir, `(async () => { ${script("const m = require('./index.cjs');")} })()`, 'commonjs'),
    ).toBe('ALONE');
  });

  it('unixipc/nats without the NATS client fails with ERR_IPC_MISSING_DEPENDENCY saying what to install', async () => {
    const dir = isolated();
    const script = (load: string) => `
      ${load}
      for (const attempt of [() => m.connect('nats://127.0.0.1:4222/svc'), () => m.serve('nats://127.0.0.1:4222/svc')]) {
        try { await attempt(); console.log('no error'); }
        catch (e) { console.log(m.isIpcError(e), e.code, e.message); }
      }`;
    for (const [load, type] of [
      ["const m = await import('./nats.js');", 'module'],
      ["const m = require('./nats.cjs');", 'commonjs'],
    ] as const) {
      const code = type === 'module' ? script(load) : `(async () => { ${script(load)} })()`;
      const lines = (await run(dir, code, type)).split('\n');
      expect(lines).toHaveLength(2);
      for (const line of lines) {
        expect(line).toMatch(
          /^true ERR_IPC_MISSING_DEPENDENCY unixipc\/nats needs the NATS client: npm install @nats-io\/transport-node/,
        );
      }
    }
  });
});
