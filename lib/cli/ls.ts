import { basename } from '../builtins.ts';
import { connect, type MethodInfo, type ServerInfo } from '../client/client.ts';
import { isIpcError } from '../errors.ts';
import { inspectPath } from '../transport/inspect.ts';
import { HELP, integer, parse, trustUid, write, writeJson } from './args.ts';
import { table } from './format.ts';
import { methodList, methodsOf } from './hello.ts';
import { candidates, defaultDir, mapLimit } from './scan.ts';

const USAGE = `usage: unixipc ls [DIR] [options]

The sockets and TCP descriptors in DIR (default: where name:NAME endpoints resolve,
/run/user/UID or $TMPDIR/unixipc-UID), each one
  live         a server answered its hello: its name, version, pid and methods are shown
  stale        nobody serves it (its server died): \`unixipc clean DIR\` removes it
  unreachable  something accepts connections but no hello came, or the client refused it
               (another user's socket, no permission): \`unixipc doctor PATH\` explains
Other files are not listed. Nothing is changed.

  --timeout MS      for each connect and hello (default 1000)
  --trust-uid UID   trust servers run by that user
  --json            { dir, entries: [{ path, kind, state, transport, owner, server?, methods?,
                    descriptor?, error? }] }`;

const OPTIONS = {
  ...HELP,
  timeout: { type: 'string' },
  'trust-uid': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface Listed {
  path: string;
  kind: 'socket' | 'descriptor';
  state: 'live' | 'stale' | 'unreachable';
  transport: 'unix' | 'tcp';
  owner: { uid: number; gid: number; mode: string };
  server?: ServerInfo;
  /** null: the server does not list its methods. */
  methods?: MethodInfo[] | null;
  descriptor?: { host: string; port: number; pid: number };
  error?: { code: string; message: string };
}

/** `unixipc ls [DIR]`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { max: 1 });
  if (!parsed) return 0;
  const { values } = parsed;
  const dir = parsed.positionals[0] ?? defaultDir();
  const timeout = integer(values.timeout, '--timeout', 1_000, { min: 1 });
  const uid = trustUid(values['trust-uid']);
  const entries = (
    await mapLimit(await candidates(dir), 8, (entry) => describe(entry.path, timeout, uid))
  ).filter((entry) => entry !== undefined);
  if (values.json) {
    writeJson({ dir, entries });
    return 0;
  }
  if (entries.length === 0) {
    write(`${dir}: no sockets or descriptors`);
    return 0;
  }
  const rows = [['STATE', 'PATH', 'TRANSPORT', 'SERVER', 'PID', 'METHODS']];
  for (const e of entries) {
    const server = e.server
      ? [e.server.name ?? '(unnamed)', e.server.version].filter(Boolean).join(' ')
      : '-';
    const pid = e.server?.pid ?? (e.descriptor?.pid || undefined);
    const last = e.error
      ? `${e.error.code}: ${e.error.message}`
      : e.state === 'live'
        ? methodList(e.methods ?? undefined)
        : '-';
    rows.push([e.state, basename(e.path), e.transport, server, pid === undefined ? '-' : String(pid), last]);
  }
  write(`${dir}:`);
  write(table(rows, 'lllllll'));
  const count = (state: Listed['state']) => entries.filter((e) => e.state === state).length;
  const notes = [`${count('live')} live`];
  if (count('stale') > 0) notes.push(`${count('stale')} stale (unixipc clean ${dir} removes them)`);
  if (count('unreachable') > 0)
    notes.push(`${count('unreachable')} unreachable (unixipc doctor PATH explains)`);
  write(notes.join(', '));
  return 0;
}

/** One entry: what inspectPath says, and for a live one what its server says in its hello. */
async function describe(path: string, timeout: number, uid: number | undefined): Promise<Listed | undefined> {
  const found = await inspectPath(path);
  if (found.state === 'absent' || found.state === 'occupied') return undefined;
  const listed: Listed = {
    path,
    kind: found.kind,
    state: found.state,
    transport: found.kind === 'socket' ? 'unix' : 'tcp',
    owner: {
      uid: found.stat.uid,
      gid: found.stat.gid,
      mode: (found.stat.mode & 0o7777).toString(8).padStart(4, '0'),
    },
  };
  if (found.kind === 'descriptor') {
    const { host, port, pid } = found.descriptor;
    listed.descriptor = { host, port, pid };
  }
  if (found.state === 'stale') return listed;
  try {
    const client = await connect(path, {
      connectTimeout: timeout,
      timeout,
      heartbeatInterval: 0,
      ...(uid === undefined ? {} : { trustUid: uid }),
    });
    try {
      listed.server = client.server;
      listed.methods = (await methodsOf(client, timeout)) ?? null;
    } finally {
      client.destroy();
    }
  } catch (error) {
    listed.state = 'unreachable';
    listed.error = {
      code: isIpcError(error) ? error.code : ((error as { code?: string }).code ?? 'ERR_UNEXPECTED'),
      message: (error as Error).message,
    };
  }
  return listed;
}
