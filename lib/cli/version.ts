const fs = process.getBuiltinModule('node:fs');

/** The package's version. Every CLI module sits two levels below package.json: lib/cli/, dist/cli/. */
export function packageVersion(): string {
  const text = fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
