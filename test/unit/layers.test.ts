// The layering of lib/ (ARCHITECTURE.md), checked on every import: a lower layer never imports a
// higher one, only the transport touches sockets, and the connection layer does not know them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LIB = fileURLToPath(new URL('../../lib/', import.meta.url));

/** Each layer, by path prefix under lib/, and the layers it may import. */
const LAYERS: Record<string, { paths: string[]; may: string[] }> = {
  base: { paths: ['errors.ts', 'builtins.ts', 'debug.ts', 'types/'], may: ['base'] },
  framing: { paths: ['framing/'], may: ['base'] },
  config: { paths: ['endpoint.ts', 'options.ts'], may: ['base', 'framing'] },
  protocol: { paths: ['protocol/'], may: ['base', 'framing'] },
  transport: { paths: ['transport/'], may: ['base', 'config'] },
  connection: { paths: ['connection/'], may: ['base', 'framing', 'protocol'] },
  api: {
    paths: ['client/', 'server/', 'status.ts'],
    may: ['base', 'framing', 'config', 'protocol', 'transport', 'connection', 'api'],
  },
  entries: {
    paths: ['index.ts', 'protocol-entry.ts', 'cli/', 'compat/', 'nats/'],
    may: ['base', 'framing', 'config', 'protocol', 'transport', 'connection', 'api', 'entries'],
  },
};

function layerOf(file: string): string {
  const rel = relative(LIB, file);
  for (const [name, layer] of Object.entries(LAYERS)) {
    if (layer.paths.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p))) return name;
  }
  throw new Error(`${rel} is in no layer: add it to LAYERS and ARCHITECTURE.md`);
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of FILE (static, dynamic and export-from), resolved. */
function importsOf(file: string, source = readFileSync(file, 'utf8')): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    found.push(resolve(dirname(file), match[1]!));
  }
  return found;
}

/** The imports that break the layering: "importer -> imported (importer's layer may not import imported's)". */
function violations(all: Array<{ file: string; source?: string }>): string[] {
  const out: string[] = [];
  for (const { file, source } of all) {
    const from = layerOf(file);
    for (const target of importsOf(file, source)) {
      const to = layerOf(target);
      if (to !== from && !LAYERS[from]!.may.includes(to))
        out.push(`${relative(LIB, file)} -> ${relative(LIB, target)} (${from} may not import ${to})`);
    }
  }
  return out;
}

describe('the layers of lib/', () => {
  const all = files(LIB).map((file) => ({ file }));

  it('no file imports a layer it may not', () => {
    expect(violations(all)).toEqual([]);
  });

  it('only the transport touches sockets (node:net, node:dgram)', () => {
    const touching = files(LIB).filter((file) => {
      const source = readFileSync(file, 'utf8');
      return /['"]node:(net|dgram)['"]|\bnet\(\)\.|getBuiltinModule\('node:(net|dgram)'\)/.test(source);
    });
    // The one exception: `unixipc bench`'s raw-net floor, which must use node:net itself to be a floor.
    const floor = (file: string) => relative(LIB, file).startsWith('cli/bench/');
    for (const file of touching.filter((f) => !floor(f)))
      expect(['transport', 'base']).toContain(layerOf(file));
    expect(touching.map((f) => relative(LIB, f))).toContain('transport/sockets.ts');
  });

  it('catches an import that breaks them (the check above can fail)', () => {
    const connection = join(LIB, 'connection/connection.ts');
    const broken = `${readFileSync(connection, 'utf8')}\nimport { dial } from '../transport/index.ts';\n`;
    expect(violations([{ file: connection, source: broken }])).toEqual([
      'connection/connection.ts -> transport/index.ts (connection may not import transport)',
    ]);
  });
});
