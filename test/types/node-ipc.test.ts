// The type test: a program written against @types/node-ipc compiles, with only its import line
// changed, against the BUILT unixipc/node-ipc declarations (dist/, after tsup), under both
// esModuleInterop settings and the node10, node16 and bundler resolutions; its @ts-expect-error
// lines keep it honest (an `any` typing would leave them unused, which tsc reports).
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../helpers.ts';

afterAll(cleanup);

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PROGRAM = readFileSync(new URL('./fixtures/node-ipc-program.ts', import.meta.url), 'utf8');
const ORIGINAL_IMPORT = "import ipc = require('node-ipc');";

interface Variant {
  name: string;
  file: string;
  importLine: string;
  options: Record<string, unknown>;
  /** package.json "type" of the consumer. */
  type?: 'module' | 'commonjs';
  /** Lines appended to the program (this package's extensions). */
  extra?: string;
  /** Type-check the declaration files too (ours among them). */
  checkLibs?: boolean;
}

const EXTENSION = `
void ipc.of.world!.request('getUser', { id: 7 }, { reply: 'user', timeout: 1000 }).then((user) => ipc.log(user));
// @ts-expect-error: request() is a client's, not the server's
ipc.server.request('x');
`;

const VARIANTS: Variant[] = [
  {
    name: '@types/node-ipc itself (the program is valid as written)',
    file: 'program.ts',
    importLine: ORIGINAL_IMPORT,
    options: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: false },
  },
  ...[false, true].map(
    (esModuleInterop): Variant => ({
      name: `import = require, node10, esModuleInterop ${esModuleInterop}`,
      file: 'program.ts',
      importLine: "import ipc = require('unixipc/node-ipc');",
      options: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop },
      extra: EXTENSION,
      checkLibs: esModuleInterop,
    }),
  ),
  ...[false, true].map(
    (esModuleInterop): Variant => ({
      name: `import default, node10, esModuleInterop ${esModuleInterop}`,
      file: 'program.ts',
      importLine: "import ipc from 'unixipc/node-ipc';",
      options: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop },
      extra: EXTENSION,
    }),
  ),
  ...[false, true].map(
    (esModuleInterop): Variant => ({
      name: `node16, CommonJS consumer (.cts, import = require), esModuleInterop ${esModuleInterop}`,
      file: 'program.cts',
      importLine: "import ipc = require('unixipc/node-ipc');",
      options: { module: 'node16', moduleResolution: 'node16', esModuleInterop },
      type: 'module',
      extra: EXTENSION,
    }),
  ),
  ...[false, true].map(
    (esModuleInterop): Variant => ({
      name: `node16, ES module consumer (.mts, import default), esModuleInterop ${esModuleInterop}`,
      file: 'program.mts',
      importLine: "import ipc from 'unixipc/node-ipc';",
      options: { module: 'node16', moduleResolution: 'node16', esModuleInterop },
      extra: EXTENSION,
      checkLibs: esModuleInterop,
    }),
  ),
  {
    name: 'bundler resolution, import default',
    file: 'program.ts',
    importLine: "import ipc from 'unixipc/node-ipc';",
    options: { module: 'esnext', moduleResolution: 'bundler', esModuleInterop: false },
    type: 'module',
    extra: EXTENSION,
  },
];

/** A consumer project: node_modules/unixipc is this repository, @types comes from its own. */
function project(variant: Variant, program: string): string {
  const dir = tempDir('uipc-types-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules', 'unixipc'), 'dir');
  symlinkSync(join(REPO, 'node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', type: variant.type ?? 'commonjs' }),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        types: ['node'],
        // Checking @types/node each time is most of the cost; one variant checks our .d.ts fully.
        skipLibCheck: variant.checkLibs !== true,
        ...variant.options,
      },
      files: [variant.file],
    }),
  );
  writeFileSync(join(dir, variant.file), program);
  return dir;
}

/** Parsed declaration files shared by every compile: parsing @types/node and lib is most of the cost. */
const shared = new Map<string, ts.SourceFile>();

/** `tsc -p DIR` through the compiler API, reusing the parsed declaration files of earlier runs. */
async function tsc(dir: string): Promise<{ exitCode: number; output: string }> {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(dir, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const host = ts.createCompilerHost(parsed.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, how, onError, create) => {
    if (!/\/node_modules\/(@types\/node|typescript\/lib)\//.test(fileName))
      return read(fileName, how, onError, create);
    const key = `${fileName}\0${JSON.stringify(how)}`;
    let file = shared.get(key);
    if (file === undefined) {
      file = read(fileName, how, onError, create);
      if (file !== undefined) shared.set(key, file);
    }
    return file;
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  const output = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => dir,
    getNewLine: () => '\n',
  });
  return { exitCode: diagnostics.length === 0 ? 0 : 2, output };
}

function withImport(variant: Variant, program = PROGRAM): string {
  expect(program).toContain(ORIGINAL_IMPORT);
  return program.replace(ORIGINAL_IMPORT, variant.importLine) + (variant.extra ?? '');
}

describe('unixipc/node-ipc types (built declarations)', () => {
  it.each(VARIANTS)('$name', async (variant) => {
    const { exitCode, output } = await tsc(project(variant, withImport(variant)));
    expect(output).toBe('');
    expect(exitCode).toBe(0);
  });

  it('fails when the program is wrong: an error the types must catch is reported', async () => {
    const variant = VARIANTS[1]!;
    const broken = withImport(variant, PROGRAM.replace('// @ts-expect-error: an id is a string\n', ''));
    const { exitCode, output } = await tsc(project(variant, broken));
    expect(exitCode).not.toBe(0);
    expect(output).toMatch(/program\.ts\(\d+,\d+\): error TS(2769|2345)/);
  });

  it('does not need @types/node-ipc installed', async () => {
    const variant = VARIANTS[4]!;
    const dir = project(variant, withImport(variant));
    // The consumer's @types holds node alone.
    const types = join(dir, 'node_modules', '@types');
    const { rmSync } = await import('node:fs');
    rmSync(types);
    mkdirSync(types);
    symlinkSync(join(REPO, 'node_modules', '@types', 'node'), join(types, 'node'), 'dir');
    const { exitCode, output } = await tsc(dir);
    expect(output).toBe('');
    expect(exitCode).toBe(0);
    expect(dirname(types)).toContain(dir);
  });
});
