import { resolveSocketPath } from '../endpoint.ts';
import { HELP, parse, write, writeJson } from './args.ts';

const USAGE = `usage: unixipc path NAME [--dir DIR] [--json]

Where a service name resolves (resolveSocketPath, the { name } endpoint): /run/user/UID/NAME.sock
when that directory is yours and private, else $TMPDIR/unixipc-UID/NAME.sock in a private
directory (created if missing). $XDG_RUNTIME_DIR is not read.

  --dir DIR   resolve in DIR instead
  --json      { name, path }`;

const OPTIONS = { ...HELP, dir: { type: 'string' }, json: { type: 'boolean' } } as const;

/** `unixipc path NAME`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { min: 1, max: 1 });
  if (!parsed) return 0;
  const name = parsed.positionals[0]!;
  const dir = parsed.values.dir;
  const path = resolveSocketPath(name, dir === undefined ? {} : { dir });
  if (parsed.values.json) writeJson({ name, path });
  else write(path);
  return 0;
}
