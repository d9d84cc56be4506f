import type { Stats } from 'node:fs';
import { dirname, fs } from '../builtins.ts';
import { ErrorCodes, IpcError, systemCode } from '../errors.ts';

/**
 * Who may own what a server or client is about to trust: this process's
 * user, root, and the uids the caller names (a daemon run by a service user,
 * a root daemon that users talk to).
 */
export type TrustedUids = ReadonlySet<number>;

const CAN_CHECK_OWNERS = typeof process.getuid === 'function';

export function trustedUids(extra: number | readonly number[] | undefined): TrustedUids {
  const set = new Set<number>([0]);
  if (CAN_CHECK_OWNERS) set.add(process.getuid!());
  for (const uid of extra === undefined ? [] : typeof extra === 'number' ? [extra] : extra) {
    if (!Number.isInteger(uid) || uid < 0) {
      throw new IpcError(ErrorCodes.BAD_OPTION, `trustUid must be a uid (an integer >= 0), got ${uid}`);
    }
    set.add(uid);
  }
  return set;
}

/** "uid 1000, mode 0755" for messages. */
export function ownerAndMode(st: Stats): string {
  return `owner uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}`;
}

function writableByOthers(st: Stats): boolean {
  return (st.mode & 0o022) !== 0;
}

function sticky(st: Stats): boolean {
  return (st.mode & 0o1000) !== 0;
}

export interface ChainRules {
  trusted: TrustedUids;
  /** Accept directories that group or others can write to (the user trusts them). */
  allowShared: boolean;
}

/**
 * The directory chain a socket lives in, checked the way OpenSSH's StrictModes
 * does before it trusts a file: every directory from DIR up to `/` must be owned
 * by a trusted uid, and none may be writable by group or others unless it is
 * sticky (then nobody else can rename or remove what we put there). Symlinks on
 * the way must be owned by a trusted uid too: whoever owns a symlink can point
 * it elsewhere after the check. Returns the first problem found, or undefined.
 *
 * Why every ancestor and not only the last directory: the owner of any
 * directory on the way can rename the subtree under it and put its own in place.
 */
export function chainProblem(dir: string, rules: ChainRules): string | undefined {
  if (!CAN_CHECK_OWNERS) return undefined;
  // Symlinks as written: each must belong to someone we trust.
  let prefix = '';
  for (const part of dir.split('/')) {
    if (part === '') continue;
    prefix += `/${part}`;
    let st: Stats;
    try {
      st = fs.lstatSync(prefix);
    } catch {
      break; // what is missing is created by us (or the caller reports ENOENT)
    }
    if (st.isSymbolicLink() && !rules.trusted.has(st.uid)) {
      return `${prefix} is a symlink owned by uid ${st.uid}, who could point it elsewhere at any time`;
    }
  }
  let real: string;
  try {
    real = fs.realpathSync.native(dir);
  } catch (error) {
    return `cannot resolve ${dir} (${systemCode(error) ?? (error as Error).message})`;
  }
  for (let at = real; ; at = dirname(at)) {
    const st = fs.statSync(at);
    const where = at === real ? (real === dir ? dir : `${dir} (really ${real})`) : `${at}, above ${dir},`;
    if (!rules.trusted.has(st.uid)) {
      return `${where} belongs to another user (${ownerAndMode(st)}), who could replace what is in it`;
    }
    if (writableByOthers(st) && !sticky(st) && !rules.allowShared) {
      return `${where} can be written by group or others without the sticky bit (${ownerAndMode(st)}), so they could replace what is in it`;
    }
    if (at === '/') return undefined;
  }
}

/** The server's side: refuses to serve in a directory chain others control. */
export function checkServeDir(dir: string, rules: ChainRules): void {
  const problem = chainProblem(dir, rules);
  if (problem === undefined) return;
  throw new IpcError(
    ErrorCodes.LISTEN,
    `refusing to serve in ${dir}: ${problem}. Use a directory that only you (or root) control, ` +
      'pass { allowSharedDir: true } to accept one that others may write to, or { trustUid } to trust its owner',
  );
}

function untrusted(message: string): IpcError {
  return new IpcError(ErrorCodes.UNTRUSTED, message);
}

export interface ClientTrust {
  trusted: TrustedUids;
  /** Accept a descriptor that its group may read (a server shared with a group on purpose). */
  allowSharedDescriptor: boolean;
  /** Accept directories above the path that group or others may write to (as the server's option). */
  allowSharedDir: boolean;
}

/**
 * What a client checks before it sends a byte to whatever is at PATH: the
 * socket or descriptor (and any symlink to it) belongs to a trusted uid, and
 * so does every directory above it, none of them writable by others unless
 * sticky (else someone could swap it between this check and the connect).
 * Returns the stat of what is there (following symlinks), or undefined when
 * there is nothing (the connect reports ENOENT).
 */
export function checkServerPath(path: string, trust: ClientTrust): Stats | undefined {
  if (!CAN_CHECK_OWNERS) return fs.statSync(path, { throwIfNoEntry: false });
  const link = fs.lstatSync(path, { throwIfNoEntry: false });
  if (link === undefined) return undefined;
  if (link.isSymbolicLink() && !trust.trusted.has(link.uid)) {
    throw untrusted(
      `refusing ${path}: it is a symlink owned by uid ${link.uid}, not by you or root (trustUid names others)`,
    );
  }
  const st = link.isSymbolicLink() ? fs.statSync(path, { throwIfNoEntry: false }) : link;
  if (st === undefined) return undefined;
  if (!trust.trusted.has(st.uid)) {
    throw untrusted(
      `refusing ${path}: it belongs to another user (${ownerAndMode(st)}); a server of yours or root's ` +
        'would own it. Pass { trustUid } if that user runs the server you mean',
    );
  }
  const problem = chainProblem(dirname(path), { trusted: trust.trusted, allowShared: trust.allowSharedDir });
  if (problem !== undefined) throw untrusted(`refusing ${path}: ${problem}`);
  return st;
}

/** A descriptor's own mode: never writable by others, readable by its group only when allowed. */
export function checkDescriptorMode(path: string, st: Stats, trust: ClientTrust): void {
  if (!CAN_CHECK_OWNERS) return;
  const forbidden = trust.allowSharedDescriptor ? 0o026 : 0o077;
  if ((st.mode & forbidden) !== 0) {
    throw untrusted(
      `refusing the TCP descriptor ${path}: its mode lets others read or change it (${ownerAndMode(st)}); ` +
        'a unixipc server writes it 0600. Pass { allowSharedDescriptor: true } for one shared with a group on purpose',
    );
  }
}

/** 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): a descriptor may point nowhere else. */
export function isLoopback(host: string): boolean {
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  const lower = host.toLowerCase();
  return lower === '::1' || lower === 'localhost' || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/**
 * Who owns the socket listening at REMOTE (Linux): the uid /proc/net/tcp
 * lists for it. The kernel lists listening sockets first, so only that part
 * is read, however many connections the machine has: this runs before every
 * connect through a descriptor. The SO_PEERCRED of TCP, which Node does not
 * expose. Undefined when it cannot tell (not Linux, /proc hidden, not listed).
 */
export function listenerUid(remote: { address: string; port: number }): number | undefined {
  if (process.platform !== 'linux') return undefined;
  const v6 = remote.address.includes(':');
  const local = procAddress(remote.address, remote.port);
  if (local === undefined) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(v6 ? '/proc/net/tcp6' : '/proc/net/tcp', 'r');
  } catch {
    return undefined;
  }
  try {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    let text = '';
    for (let reads = 0; reads < 64; reads++) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      text += chunk.toString('latin1', 0, n);
      const lines = text.split('\n');
      text = lines.pop() ?? '';
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        if (fields[0] === 'sl') continue;
        // local rem st tx:rx tr:when retrnsmt uid ...
        if (fields[3] !== '0A') return undefined; // past the listening sockets: not listed
        if (fields[1] === local) {
          const uid = Number(fields[7]);
          return Number.isInteger(uid) ? uid : undefined;
        }
      }
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** /proc/net/tcp (or tcp6) as text, or undefined where there is none to read. */
export function readTcpTable(v6: boolean): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return fs.readFileSync(v6 ? '/proc/net/tcp6' : '/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
}

/** The uid owning the socket whose local address is LOCAL and peer REMOTE, in a table from readTcpTable. */
export function socketUid(
  table: string,
  local: { address: string; port: number },
  remote: { address: string; port: number },
): number | undefined {
  const a = procAddress(local.address, local.port);
  const b = procAddress(remote.address, remote.port);
  if (a === undefined || b === undefined) return undefined;
  return uidOfEntry(table, `${a} ${b}`);
}

function uidOfEntry(table: string, prefix: string): number | undefined {
  const at = table.indexOf(prefix);
  if (at < 0) return undefined;
  const end = table.indexOf('\n', at);
  // local rem st tx:rx tr:when retrnsmt uid ...
  const fields = table
    .slice(at, end < 0 ? undefined : end)
    .trim()
    .split(/\s+/);
  const uid = Number(fields[6]);
  return Number.isInteger(uid) ? uid : undefined;
}

/** An address as /proc/net/tcp{,6} prints it: the bytes of each 32-bit word in host (little-endian) order. */
function procAddress(address: string, port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(address);
  if (v4 && !address.includes('::ffff:')) {
    const bytes = v4.slice(1, 5).map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0'));
    return `${bytes.reverse().join('')}:${hexPort}`;
  }
  if (address === '::1') return `${'0'.repeat(24)}01000000:${hexPort}`;
  if (v4) {
    // ::ffff:a.b.c.d in tcp6: 0000000000000000FFFF0000 then the v4 word.
    const bytes = v4.slice(1, 5).map((b) => Number(b).toString(16).toUpperCase().padStart(2, '0'));
    return `0000000000000000FFFF0000${bytes.reverse().join('')}:${hexPort}`;
  }
  return undefined;
}

/** Refuses a TCP port (reached through a descriptor) that another user listens on. */
export function checkTcpListener(
  where: string,
  remote: { address: string; port: number },
  trust: ClientTrust,
): void {
  if (!CAN_CHECK_OWNERS) return;
  const uid = listenerUid(remote);
  if (uid !== undefined && !trust.trusted.has(uid)) {
    throw untrusted(
      `refusing ${where}: the process listening on port ${remote.port} runs as uid ${uid}, not as you or root; ` +
        'the server that wrote the descriptor is gone and another user took its port',
    );
  }
}

/**
 * Why EACCES, in words: the first directory on the way this user may not
 * search, or else the socket itself (connecting needs write permission on it).
 */
export function permissionCulprit(path: string): string {
  let at = '';
  for (const part of dirname(path).split('/')) {
    if (part === '') continue;
    at += `/${part}`;
    try {
      fs.accessSync(at, fs.constants.X_OK);
    } catch {
      const st = fs.statSync(at, { throwIfNoEntry: false });
      return `the directory ${at} does not let you in${st ? ` (${ownerAndMode(st)})` : ''}`;
    }
  }
  const st = fs.statSync(path, { throwIfNoEntry: false });
  return `the socket does not let you connect${st ? ` (${ownerAndMode(st)}; connecting needs write permission)` : ''}`;
}
