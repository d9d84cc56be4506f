// The package as a user gets it: `npm pack`, installed into a fresh project, then a server and
// clients run from that install alone (import and require, the unixipc/call entry, the CLI).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, spawnLines, tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Quiet and offline: the package has no runtime dependencies, so nothing needs fetching.
const NPM_ENV = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

interface Packed {
  filename: string;
  files: Array<{ path: string }>;
}

let tarball: string;
let shipped: Set<string>;
let project: string;
let installed: string;
let install: { exitCode: number | undefined; stdout: string; stderr: string };

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  const dir = tempDir('uipc-pack-');
  // --ignore-scripts: dist/ was just built by `pretest`; prepack would build it again for nothing.
  const pack = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    env: NPM_ENV,
  });
  const [info] = JSON.parse(pack.stdout) as Packed[];
  tarball = join(dir, info!.filename);
  shipped = new Set(info!.files.map((file) => file.path));
  project = join(dir, 'consumer');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  const result = await execa('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
    cwd: project,
    env: NPM_ENV,
    reject: false,
  });
  install = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  installed = join(project, 'node_modules/unixipc');
}, 60_000);

afterAll(cleanup);

/** Relative link targets in a markdown text (inline links and reference definitions), without anchors. */
function relativeLinks(markdown: string): string[] {
  const targets: string[] = [];
  // Code is not a link, though `commands[command](client)` looks like one.
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
  for (const match of prose.matchAll(/\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)/gm)) {
    const target = match[1] ?? match[2]!;
    if (/^([a-z][a-z0-9+.-]*:|#)/i.test(target)) continue;
    targets.push(target.split('#')[0]!);
  }
  return targets;
}

describe('the npm tarball', () => {
  it('ships the licence, the repository field and the docs the README names', () => {
    expect(shipped.has('LICENSE')).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.license).toBe('MIT');
    expect(manifest.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/);
    for (const doc of ['README.md', 'PROTOCOL.md', 'socket-paths.md', 'RELIABILITY.md']) {
      expect(shipped, doc).toContain(doc);
    }
    // Only what a user needs: no sources, tests or benchmarks.
    expect([...shipped].filter((file) => /^(lib|test|bench|examples)\//.test(file))).toEqual([]);
  });

  it('has no relative link in a shipped document that leads to a file it does not ship', () => {
    const docs = [...shipped].filter((file) => file.endsWith('.md'));
    expect(docs.length).toBeGreaterThanOrEqual(4);
    const broken: string[] = [];
    for (const doc of docs) {
      for (const target of relativeLinks(readFileSync(join(ROOT, doc), 'utf8'))) {
        const path = normalize(join(dirname(doc), target)).replace(/\/$/, '');
        const found = shipped.has(path) || [...shipped].some((file) => file.startsWith(`${path}/`));
        if (!found) broken.push(`${doc} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('installs offline into a fresh project without a warning (no install-time scripts)', () => {
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/warn|ERR!/i);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(manifest.scripts?.[script], script).toBeUndefined();
    }
    expect(existsSync(join(installed, 'LICENSE'))).toBe(true);
  });

  it('runs a server and clients from the install alone: import, require, unixipc/call and the CLI', async () => {
    expect(install.exitCode, install.stderr).toBe(0);
    const sock = join(tempDir('uipc-pkg-'), 'app.sock');
    writeFileSync(
      join(project, 'server.mjs'),
      `import { serve } from 'unixipc';
const server = await serve(process.argv[2], {
  handlers: {
    upper: (s) => s.toUpperCase(),
    greet: (name, ctx) => { ctx.peer.notify('greeting', 'hello ' + name); return 'sent'; },
    fail: () => { throw new Error('on purpose'); },
  },
});
process.stdout.write('READY ' + server.endpoint + '\\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`,
    );
    writeFileSync(
      join(project, 'client.cjs'),
      `const { connect, isIpcError } = require('unixipc');
const { call, IpcError } = require('unixipc/call');
(async () => {
  const client = await connect(process.argv[2]);
  const greeting = new Promise((resolve) => client.on('greeting', resolve));
  const out = [await client.request('upper', 'cjs'), await client.request('greet', 'cjs'), await greeting];
  const error = await call(process.argv[2], 'fail').catch((e) => e);
  out.push(error instanceof IpcError, isIpcError(error), error.code);
  await client.close();
  process.stdout.write(JSON.stringify(out) + '\\n');
})();
`,
    );
    writeFileSync(
      join(project, 'client.mjs'),
      `import { ErrorCodes, isIpcError } from 'unixipc';
import { call } from 'unixipc/call';
const { createRequire } = await import('node:module');
const cjs = createRequire(import.meta.url)('unixipc');
const error = await call(process.argv[2], 'nope').catch((e) => e);
process.stdout.write(JSON.stringify([
  await call(process.argv[2], 'upper', 'esm'),
  isIpcError(error), cjs.isIpcError(error), error.code === ErrorCodes.NO_METHOD,
]) + '\\n');
`,
    );
    const server = spawnLines(join(project, 'server.mjs'), [sock]);
    await server.waitFor(/^READY unix:/);
    const node = (script: string) =>
      execa(process.execPath, [join(project, script), sock], { timeout: 10_000 });
    const [cjs, esm, cli] = await Promise.all([
      node('client.cjs'),
      node('client.mjs'),
      execa(join(project, 'node_modules/.bin/unixipc'), ['call', sock, 'upper', '"cli"'], {
        timeout: 10_000,
      }),
    ]);
    expect(JSON.parse(cjs.stdout)).toEqual(['CJS', 'sent', 'hello cjs', true, true, 'ERR_IPC_REMOTE']);
    expect(JSON.parse(esm.stdout)).toEqual(['ESM', true, true, true]);
    expect(JSON.parse(cli.stdout)).toBe('CLI');
    for (const run of [cjs, esm, cli]) expect(run.stderr).toBe('');
    server.proc.kill('SIGTERM');
    expect((await server.proc).exitCode).toBe(0);
    expect(existsSync(sock)).toBe(false);
  });
});
