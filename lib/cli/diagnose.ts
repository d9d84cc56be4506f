// What `unixipc doctor` finds at a socket path before it tries to connect: the path's length,
// each directory on the way, and the file itself. Nothing is changed.
import type { Stats } from 'node:fs';
import { basename, dirname, fs } from '../builtins.ts';
import { DESCRIPTOR_MAX_BYTES, parseDescriptor } from '../transport/descriptor.ts';
import { describeStat, inspectPath, type PathState } from '../transport/inspect.ts';
import { pidAlive } from '../transport/lock.ts';
import { reachableOverUnix, SUN_PATH_MAX } from '../transport/socket-path.ts';
import { chainProblem, isLoopback, type TrustedUids } from '../transport/trust.ts';
import { ownership, userName, whoAmI } from './owners.ts';
import { candidates } from './scan.ts';

export interface Finding {
  /** ok: connecting works; note: worth knowing; problem: why connecting fails or would fail. */
  level: 'ok' | 'note' | 'problem';
  /** A stable name for scripts: 'stale-socket', 'permission', 'no-hello', ... */
  id: string;
  message: string;
  /** What to do about it. */
  fix?: string;
  details?: string[];
}

export interface PathFacts {
  findings: Finding[];
  /** What inspectPath said, when the path could be looked at. */
  state?: PathState;
}

const mine = typeof process.getuid === 'function' ? process.getuid() : undefined;

/** The findings for PATH, a filesystem socket path. */
export async function diagnosePath(path: string, trusted: TrustedUids): Promise<PathFacts> {
  const findings: Finding[] = [];
  const dirOk = checkDirectories(path, trusted, findings);
  const st = dirOk ? fs.lstatSync(path, { throwIfNoEntry: false }) : undefined;
  checkLength(path, st, findings);
  if (!dirOk) return { findings };
  if (st === undefined) {
    findings.push({
      level: 'problem',
      id: 'nothing-there',
      message: `nothing at ${path}: no server is running there, or it listens somewhere else`,
      fix: 'start the server (a unixipc server creates the socket when it starts), or check the path',
      details: await nearNames(path),
    });
    return { findings };
  }
  let target = st;
  if (st.isSymbolicLink()) {
    const real = fs.statSync(path, { throwIfNoEntry: false });
    const to = fs.readlinkSync(path);
    findings.push({
      level: trusted.has(st.uid) ? 'note' : 'problem',
      id: trusted.has(st.uid) ? 'symlink' : 'untrusted-symlink',
      message: `${path} is a symlink to ${to} (${ownership(st)})${real ? '' : ', which does not exist'}`,
      ...(trusted.has(st.uid)
        ? {}
        : {
            fix: `its owner could point it anywhere: use the real path, or --trust-uid ${st.uid} if you trust that user`,
          }),
    });
    if (real === undefined) return { findings };
    target = real;
  }
  // inspectPath never follows a symlink: judge what it points to.
  const state = await inspectPath(target === st ? path : fs.realpathSync(path)).catch(() => undefined);
  if (target.isSocket()) checkSocket(path, target, state, trusted, findings);
  else if (isDescriptor(path, target)) checkDescriptor(path, target, state, trusted, findings);
  else {
    const what = describeStat(target);
    findings.push({
      level: 'problem',
      id: 'not-a-socket',
      message: `${path} is ${what === 'file' ? `a regular file (${target.size} bytes)` : `a ${what}`}, not a socket or a unixipc descriptor: nothing can connect to it`,
      fix: `unixipc never removes or replaces it (a server there fails with ERR_IPC_PATH_OCCUPIED): if it is left over, remove it yourself; else use another path`,
    });
  }
  return state === undefined ? { findings } : { findings, state };
}

function isDescriptor(path: string, st: Stats): boolean {
  if (!st.isFile() || st.size > DESCRIPTOR_MAX_BYTES) return false;
  try {
    return parseDescriptor(fs.readFileSync(path, 'utf8')) !== undefined;
  } catch {
    return false;
  }
}

/** Each directory from / down to the socket's: there, a directory, searchable by us, trusted. */
function checkDirectories(path: string, trusted: TrustedUids, findings: Finding[]): boolean {
  const dir = dirname(path);
  let at = '';
  for (const part of ['', ...dir.split('/').filter(Boolean)]) {
    at = part === '' ? '/' : `${at === '/' ? '' : at}/${part}`;
    const st = fs.statSync(at, { throwIfNoEntry: false });
    if (st === undefined) {
      findings.push({
        level: 'problem',
        id: 'no-directory',
        message: `${at} does not exist, so nothing can be listening at ${path}`,
        fix: 'start the server (serve() creates a missing last directory, mode 0700), or check the path',
      });
      return false;
    }
    if (!st.isDirectory()) {
      findings.push({
        level: 'problem',
        id: 'not-a-directory',
        message: `${at} is a ${describeStat(st)}, not a directory, so ${path} cannot exist`,
        fix: 'use another path',
      });
      return false;
    }
    try {
      fs.accessSync(at, fs.constants.X_OK);
    } catch {
      findings.push({
        level: 'problem',
        id: 'permission',
        message: `${whoAmI()} cannot enter ${at}, so you cannot reach ${path}`,
        details: [`${at}: ${ownership(st)} (entering needs x permission)`],
        fix:
          'run the client as the user the server runs as (or root); a server shares its socket on purpose ' +
          "with serve(path, { mode }) in a directory others may enter (socket-paths.md, 'Permissions')",
      });
      return false;
    }
  }
  const problem = chainProblem(dir, { trusted, allowShared: false });
  if (problem !== undefined) {
    findings.push({
      level: 'problem',
      id: 'untrusted-directory',
      message: `${problem}: a client refuses to connect there (ERR_IPC_UNTRUSTED)`,
      fix: 'use a directory only you (or root) control; --trust-uid UID (connect({ trustUid })) if you trust that owner',
    });
  }
  return true;
}

function checkLength(path: string, st: Stats | undefined, findings: Finding[]): void {
  const bytes = Buffer.byteLength(path);
  if (bytes <= SUN_PATH_MAX) return;
  if (reachableOverUnix(path)) {
    findings.push({
      level: 'note',
      id: 'long-path',
      message: `${path} is ${bytes} bytes, over the ${SUN_PATH_MAX}-byte sun_path limit: unixipc reaches it through a short alias of its directory (/proc/self/fd/N/${basename(path)}), but other programs (nc -U, socat, most libraries) cannot connect to it`,
      fix: 'a shorter path, e.g. name:NAME (/run/user/UID or $TMPDIR/unixipc-UID)',
    });
    return;
  }
  const descriptor = st !== undefined && isDescriptor(path, st);
  findings.push({
    level: descriptor ? 'note' : 'problem',
    id: 'path-too-long',
    message:
      `${path} is ${bytes} bytes and its file name ${Buffer.byteLength(basename(path))}: too long for a socket address, ` +
      `even through /proc/self/fd (sun_path holds ${SUN_PATH_MAX}). A server under transport 'auto' serves it over TCP ` +
      `with a descriptor file${descriptor ? ' (as this one does)' : ''}; under 'unix' it fails with ERR_IPC_PATH_TOO_LONG`,
    fix: 'a shorter path (a shorter file name is enough for unixipc clients on Linux)',
  });
}

function checkOwner(path: string, st: Stats, what: string, trusted: TrustedUids, findings: Finding[]): void {
  if (trusted.has(st.uid)) return;
  findings.push({
    level: 'problem',
    id: 'untrusted-owner',
    message: `${path} (${what}) belongs to ${userName(st.uid)}, not to you${mine === undefined ? '' : ` (${userName(mine)})`} or root: a client refuses it (ERR_IPC_UNTRUSTED) before sending a byte, since whoever owns it could be posing as your server`,
    details: [`${path}: ${ownership(st)}`],
    fix: `--trust-uid ${st.uid} (connect({ trustUid: ${st.uid} })) if that user runs the server you mean`,
  });
}

function checkSocket(
  path: string,
  st: Stats,
  state: PathState | undefined,
  trusted: TrustedUids,
  findings: Finding[],
): void {
  checkOwner(path, st, 'a socket', trusted, findings);
  try {
    fs.accessSync(path, fs.constants.W_OK);
  } catch {
    findings.push({
      level: 'problem',
      id: 'permission',
      message: `${whoAmI()} may not connect to ${path}: connecting to a socket needs write permission on it`,
      details: [`${path}: ${ownership(st)}`],
      fix: 'run as its owner; or the server shares it with a group: serve(path, { mode: 0o660 }) and a group you are in',
    });
    return;
  }
  if (state?.state === 'stale') {
    findings.push({
      level: 'problem',
      id: 'stale-socket',
      message: `${path} is a stale socket: nothing listens on it (connection refused); its server died without removing it`,
      fix: `start the server again (it reclaims the path), or remove it: unixipc clean ${path}`,
    });
  }
}

function checkDescriptor(
  path: string,
  st: Stats,
  state: PathState | undefined,
  trusted: TrustedUids,
  findings: Finding[],
): void {
  checkOwner(path, st, 'a TCP descriptor', trusted, findings);
  if ((st.mode & 0o077) !== 0) {
    findings.push({
      level: 'problem',
      id: 'descriptor-mode',
      message: `${path} is a TCP descriptor others may read or change (mode ${(st.mode & 0o777).toString(8)}): its token is the only thing that keeps other users out, so a client refuses it (ERR_IPC_UNTRUSTED)`,
      fix: `chmod 600 ${path} (a unixipc server writes it 0600), or allowSharedDescriptor for a group on purpose`,
    });
  }
  if (state === undefined || !('descriptor' in state)) return;
  const { host, port, pid } = state.descriptor;
  if (!isLoopback(host)) {
    findings.push({
      level: 'problem',
      id: 'descriptor-host',
      message: `${path} points at ${host}, not loopback: a client refuses it (ERR_IPC_UNTRUSTED)`,
      fix: 'a unixipc server only ever writes 127.0.0.1: whoever wrote this one is not; remove it',
    });
  }
  findings.push({
    level: 'note',
    id: 'descriptor',
    message: `${path} is a TCP descriptor: the server listens on tcp://${host}:${port} (pid ${pid}), and clients follow it with its token`,
  });
  if (state.state === 'stale') {
    const why =
      pid > 0 && !pidAlive(pid) ? `pid ${pid} is not running` : `tcp port ${port} refuses connections`;
    findings.push({
      level: 'problem',
      id: 'stale-descriptor',
      message: `${path} is a stale TCP descriptor: its server is gone (${why})`,
      fix: `start the server again (it reclaims the path), or remove it: unixipc clean ${path}`,
    });
  }
}

/** Sockets and descriptors in PATH's directory whose names are close to its name. */
async function nearNames(path: string): Promise<string[] | undefined> {
  let entries: Array<{ path: string }>;
  try {
    entries = await candidates(dirname(path));
  } catch {
    return undefined;
  }
  const want = basename(path);
  const near = entries
    .map((entry) => ({ entry, distance: distance(stem(basename(entry.path)), stem(want)) }))
    .filter(
      ({ entry, distance: d }) =>
        d <= Math.max(2, Math.floor(stem(want).length / 3)) || similarPrefix(basename(entry.path), want),
    )
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 5);
  const lines: string[] = [];
  for (const { entry } of near) {
    const found = await inspectPath(entry.path).catch(() => undefined);
    if (found === undefined || found.state === 'occupied' || found.state === 'absent') continue;
    lines.push(`did you mean ${entry.path}? (${found.state} ${found.kind})`);
  }
  return lines.length > 0 ? lines : undefined;
}

function stem(name: string): string {
  return name.replace(/\.sock$/, '');
}

function similarPrefix(a: string, b: string): boolean {
  const n = Math.min(stem(a).length, stem(b).length);
  return n >= 3 && stem(a).slice(0, n) === stem(b).slice(0, n);
}

/** Levenshtein distance (names are short). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
