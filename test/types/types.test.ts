// Type tests against the built package: the consumer programs in consumers/ are compiled with `tsc`
// in a fresh project whose node_modules/unixipc is this repository, so they see exactly the `.d.ts`
// files that `dist/` ships (through package.json's exports and typesVersions), under each module
// setting a user may have, with esModuleInterop on (the default of `tsc --init`) and off.
// Every consumer holds @ts-expect-error lines: if the types degrade to `any`, those directives go
// unused and the program fails, so each configuration can fail.
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMERS = fileURLToPath(new URL('./consumers/', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/lib/tsc.js');

type Project = 'esm' | 'cjs';

interface Config {
  name: string;
  project: Project;
  module: string;
  moduleResolution: string;
}

const CONFIGS: Config[] = [
  { name: 'node16', project: 'esm', module: 'node16', moduleResolution: 'node16' },
  { name: 'nodenext', project: 'esm', module: 'nodenext', moduleResolution: 'nodenext' },
  { name: 'bundler', project: 'esm', module: 'esnext', moduleResolution: 'bundler' },
  // A CommonJS project (package.json without "type": "module"): import = require, and plain require() in JS.
  { name: 'node16, CommonJS', project: 'cjs', module: 'node16', moduleResolution: 'node16' },
  // The old resolution that ignores "exports": `types` for the main entry, `typesVersions` for unixipc/call.
  { name: 'node10, CommonJS', project: 'cjs', module: 'commonjs', moduleResolution: 'node10' },
];

const PROGRAMS: Record<Project, string[]> = {
  esm: ['api.ts', 'events.ts', 'client-events.ts'],
  cjs: ['api.ts', 'events.ts', 'client-events.ts', 'require.js'],
};

/** The declaration files each kind of project must resolve to: ESM gets .d.ts, CommonJS .d.cts. */
const DECLARATIONS: Record<Project, string[]> = {
  esm: ['dist/index.d.ts', 'dist/call.d.ts'],
  cjs: ['dist/index.d.cts', 'dist/call.d.cts'],
};

/**
 * Expectations that fail today, and why: each would be an `it.fails`, green while the bug is there
 * and red the day it is fixed. None now: the .d.ts is written from lib/types/ (Server and Client
 * keep .on() under esModuleInterop, and Client's 'close' listener is typed).
 */
function knownFailure(_program: string, _esModuleInterop: boolean): string | undefined {
  return undefined;
}

interface Compiled {
  /** Diagnostics by file, relative to the project ("api.ts"), or the absolute path for other files. */
  errors: Map<string, string[]>;
  /** Every file in the program (tsc --listFiles). */
  files: string[];
  output: string;
}

const results = new Map<string, Compiled>();
const slug = (config: Config, esModuleInterop: boolean) =>
  `tsconfig.${config.name.replace(/\W+/g, '-')}.${esModuleInterop}.json`;

function makeProject(dir: string, project: Project): void {
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/unixipc'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  const manifest = project === 'esm' ? { name: 'consumer', type: 'module' } : { name: 'consumer' };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest)}\n`);
  cpSync(join(CONSUMERS, project), dir, { recursive: true });
}

function writeConfig(dir: string, config: Config, esModuleInterop: boolean): string {
  const compilerOptions = {
    module: config.module,
    moduleResolution: config.moduleResolution,
    target: 'es2022',
    lib: ['es2023'],
    strict: true,
    esModuleInterop,
    // As `tsc --init` writes it, and as nearly every consumer compiles.
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    ...(config.project === 'cjs' ? { allowJs: true, checkJs: true } : {}),
  };
  const file = join(dir, slug(config, esModuleInterop));
  writeFileSync(file, JSON.stringify({ compilerOptions, files: PROGRAMS[config.project] }, null, 2));
  return file;
}

/**
 * Compiles every configuration in one `tsc --build` (each tsconfig its own program, as `tsc -p` would
 * build it; one process parses @types/node once instead of ten times), and splits its output by project.
 */
async function compileAll(base: string, configs: string[]): Promise<Map<string, Compiled>> {
  const run = await execa(
    process.execPath,
    [TSC, '--build', '--verbose', '--listFiles', '--pretty', 'false', ...configs],
    { cwd: base, reject: false, timeout: 150_000 },
  );
  const byConfig = new Map<string, Compiled>();
  let current: Compiled | undefined;
  let dir = base;
  for (const line of run.stdout.split('\n')) {
    const building = /Building project '(.+)'\.\.\.$/.exec(line);
    if (building) {
      current = { errors: new Map(), files: [], output: '' };
      byConfig.set(building[1]!, current);
      dir = dirname(building[1]!);
      continue;
    }
    if (current === undefined) continue;
    current.output += `${line}\n`;
    const diagnostic = /^(.+?)\(\d+,\d+\): error (TS\d+: .*)$/.exec(line);
    if (diagnostic) {
      const file = resolve(base, diagnostic[1]!);
      const where = file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : file;
      current.errors.set(where, [...(current.errors.get(where) ?? []), line]);
    } else if (line.startsWith('/')) {
      current.files.push(line);
    } else if (/error TS\d+/.test(line)) {
      current.errors.set('(tsc)', [...(current.errors.get('(tsc)') ?? []), line]);
    }
  }
  if (byConfig.size !== configs.length) {
    throw new Error(
      `tsc --build built ${byConfig.size} of ${configs.length} projects:\n${run.stdout}\n${run.stderr}`,
    );
  }
  return byConfig;
}

const MATRIX = CONFIGS.flatMap((config) => [true, false].map((interop) => ({ config, interop })));

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/index.d.ts'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  const base = tempDir('uipc-types-');
  const dirs: Record<Project, string> = { esm: join(base, 'esm'), cjs: join(base, 'cjs') };
  makeProject(dirs.esm, 'esm');
  makeProject(dirs.cjs, 'cjs');
  const files = MATRIX.map(({ config, interop }) => writeConfig(dirs[config.project], config, interop));
  const compiled = await compileAll(base, files);
  MATRIX.forEach(({ config, interop }, i) => {
    results.set(`${config.name} ${interop}`, compiled.get(files[i]!)!);
  });
}, 180_000);

afterAll(cleanup);

describe.each(MATRIX)(
  'a consumer compiled with $config.name, esModuleInterop $interop',
  ({ config, interop }) => {
    it('resolves the declaration files dist/ ships for it, and tsc reports nothing else', () => {
      const compiled = results.get(`${config.name} ${interop}`)!;
      expect(compiled.errors.get('(tsc)'), compiled.output).toBeUndefined();
      for (const declaration of DECLARATIONS[config.project]) {
        expect(
          compiled.files.some((file) => file === join(ROOT, declaration)),
          `${declaration} in:\n${compiled.files.join('\n')}`,
        ).toBe(true);
      }
      for (const program of PROGRAMS[config.project]) {
        expect(compiled.files.some((file) => file.endsWith(`/${program}`))).toBe(true);
      }
      // Errors inside the package's own files would be hidden by skipLibCheck; none may come from elsewhere.
      const stray = [...compiled.errors.keys()].filter(
        (file) => file !== '(tsc)' && !PROGRAMS[config.project].includes(file),
      );
      expect(stray).toEqual([]);
    });

    for (const program of PROGRAMS[config.project]) {
      const reason = knownFailure(program, interop);
      const test = reason === undefined ? it : it.fails;
      test(`${program} compiles${reason === undefined ? '' : ` (fails today: ${reason})`}`, () => {
        const errors = results.get(`${config.name} ${interop}`)!.errors.get(program) ?? [];
        expect(errors).toEqual([]);
      });
    }
  },
);
