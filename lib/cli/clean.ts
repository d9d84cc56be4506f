import { fsp } from '../builtins.ts';
import { systemCode } from '../errors.ts';
import { removeStale } from '../transport/index.ts';
import { describeStat, inspectPath, type PathState } from '../transport/inspect.ts';
import { pidAlive } from '../transport/lock.ts';
import { HELP, parse, write, writeJson } from './args.ts';
import { table } from './format.ts';
import { candidates, defaultDir } from './scan.ts';

const USAGE = `usage: unixipc clean [DIR | PATH...] [--dry-run] [--json]

Removes stale socket files (nobody listens: their server died) and stale TCP descriptors (their
server is gone) from DIR (default: where name:NAME endpoints resolve), or the PATHs given.
It judges each one as serve() does before reclaiming a path, under the same lock: a live socket,
one it cannot judge, a file that is not a socket or descriptor, and anything owned by another
user are never removed. It prints what it removed and what it kept.

  --dry-run   say what would be removed, remove nothing
  --json      { removed: [...], kept: [{ path, why }], dryRun }`;

const OPTIONS = { ...HELP, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } } as const;

interface Outcome {
  path: string;
  action: 'removed' | 'would remove' | 'kept';
  why: string;
}

/** `unixipc clean [DIR | PATH...]`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE);
  if (!parsed) return 0;
  const dryRun = parsed.values['dry-run'] === true;
  const targets = parsed.positionals.length > 0 ? parsed.positionals : [defaultDir()];
  const outcomes: Outcome[] = [];
  for (const target of targets) {
    const st = await fsp()
      .lstat(target)
      .catch((error) => {
        if (systemCode(error) === 'ENOENT') return undefined;
        throw error;
      });
    if (st === undefined) {
      outcomes.push({ path: target, action: 'kept', why: 'nothing there' });
    } else if (st.isDirectory()) {
      for (const entry of await candidates(target)) {
        const outcome = await clean(entry.path, dryRun);
        // In a directory, a file that is not a descriptor is simply not ours: no need to list it.
        if (outcome !== undefined) outcomes.push(outcome);
      }
    } else {
      outcomes.push(
        (await clean(target, dryRun)) ?? { path: target, action: 'kept', why: notOurs(describeStat(st)) },
      );
    }
  }
  const removed = outcomes.filter((o) => o.action !== 'kept');
  const kept = outcomes.filter((o) => o.action === 'kept');
  if (parsed.values.json) {
    writeJson({
      dryRun,
      removed: removed.map(({ path, why }) => ({ path, why })),
      kept: kept.map(({ path, why }) => ({ path, why })),
    });
    return 0;
  }
  if (outcomes.length > 0)
    write(
      table(
        outcomes.map((o) => [o.action, o.path, o.why]),
        'lll',
      ),
    );
  write(
    `${removed.length} ${dryRun ? 'would be removed' : 'removed'}, ${kept.length} kept` +
      (targets.length === 1 && outcomes.length === 0 ? ` (no sockets or descriptors in ${targets[0]})` : ''),
  );
  return 0;
}

function notOurs(kind: string): string {
  return `${kind === 'file' ? 'a regular file' : `a ${kind}`}, not a socket or descriptor: never removed`;
}

/** What clean does with PATH; undefined when PATH is a file that is not a descriptor. */
async function clean(path: string, dryRun: boolean): Promise<Outcome | undefined> {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  let found: PathState;
  let removed = false;
  if (dryRun) {
    found = await inspectPath(path);
  } else {
    ({ found, removed } = await removeStale(path, uid));
  }
  switch (found.state) {
    case 'absent':
      return { path, action: 'kept', why: 'gone meanwhile' };
    case 'occupied':
      return found.kind === 'file' ? undefined : { path, action: 'kept', why: notOurs(found.kind) };
    case 'live':
      return { path, action: 'kept', why: `live ${found.kind}${serving(found)}` };
    case 'stale': {
      const what = `stale ${found.kind} (${staleWhy(found)})`;
      if (uid !== undefined && found.stat.uid !== uid) {
        return { path, action: 'kept', why: `${what}, owned by uid ${found.stat.uid}, not you` };
      }
      if (dryRun) return { path, action: 'would remove', why: what };
      return removed
        ? { path, action: 'removed', why: what }
        : { path, action: 'kept', why: `${what}: it changed while being removed, left alone` };
    }
  }
}

function serving(found: PathState): string {
  return 'descriptor' in found ? ` (pid ${found.descriptor.pid}, tcp port ${found.descriptor.port})` : '';
}

function staleWhy(found: PathState): string {
  if (!('descriptor' in found)) return 'connection refused';
  const { pid, port } = found.descriptor;
  return pid > 0 && !pidAlive(pid) ? `pid ${pid} is gone` : `tcp port ${port} refuses connections`;
}
