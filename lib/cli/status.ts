import { probePath } from '../status.ts';
import { endpointArg, HELP, parse, write, writeJson } from './args.ts';

const USAGE = `usage: unixipc status PATH [--json]

What is at a socket path, without changing anything: live (a server answers), stale (a socket
or descriptor nobody serves), occupied (something that is not ours) or absent.
Exit status 0 only when it is live. \`unixipc doctor PATH\` explains the others.

  --json   the result as JSON: { path, state, kind, pid?, port? }`;

const OPTIONS = { ...HELP, json: { type: 'boolean' } } as const;

/** `unixipc status PATH`: what is at the path (exit 0 only when a server answers). */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { min: 1, max: 1 });
  if (!parsed) return 0;
  const path = parsed.positionals[0]!;
  const found = await probePath(endpointArg(path));
  if (parsed.values.json) {
    writeJson({ path, ...found });
  } else {
    const detail = found.kind === 'descriptor' ? ` (tcp port ${found.port}, pid ${found.pid})` : '';
    write(`${path}: ${found.state}${found.kind ? ` ${found.kind}` : ''}${detail}`);
  }
  return found.state === 'live' ? 0 : 1;
}
