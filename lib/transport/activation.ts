import { basename } from '../builtins.ts';
import { debug } from '../debug.ts';

/**
 * Socket activation: listening sockets handed over at start, from fd 3 on, by
 * systemd (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES, as sd_listen_fds(3) reads
 * them) or by a parent that does the same.
 */
interface Activated {
  fd: number;
  name: string | undefined;
  taken: boolean;
}

let handed: Activated[] | undefined;

function activated(): Activated[] {
  if (handed !== undefined) return handed;
  const count = Number(process.env.LISTEN_FDS);
  const pid = Number(process.env.LISTEN_PID);
  handed = [];
  // LISTEN_PID guards against a child that inherited the variables: they are not for it.
  if (!Number.isInteger(count) || count < 1 || pid !== process.pid) return handed;
  const names = process.env.LISTEN_FDNAMES?.split(':') ?? [];
  handed = Array.from({ length: count }, (_, i) => ({
    fd: 3 + i,
    name: names[i] || undefined,
    taken: false,
  }));
  // As sd_listen_fds(unset_environment=1): children started from here must not take them too.
  delete process.env.LISTEN_FDS;
  delete process.env.LISTEN_PID;
  delete process.env.LISTEN_FDNAMES;
  debug('activation: %d listening socket(s) handed over (%s)', count, names.join(':'));
  return handed;
}

/**
 * The handed-over socket a serve() should use instead of binding: the one
 * whose name (systemd's FileDescriptorName=) is one of NAMES (the service's
 * name, the socket path's file name with and without `.sock`), else the first
 * unnamed one not taken yet. Undefined when none was handed over.
 */
export function takeActivatedFd(names: ReadonlyArray<string | undefined>): number | undefined {
  const sockets = activated();
  const wanted = new Set(names.filter((n): n is string => n !== undefined));
  const pick =
    sockets.find((s) => !s.taken && s.name !== undefined && wanted.has(s.name)) ??
    sockets.find((s) => !s.taken && (s.name === undefined || s.name === 'unknown'));
  if (pick === undefined) return undefined;
  pick.taken = true;
  return pick.fd;
}

/** The names a path-style endpoint may be handed over as. */
export function activationNames(path: string | undefined, name: string | undefined): string[] {
  const out: string[] = [];
  if (name !== undefined) out.push(name);
  if (path !== undefined) {
    const file = basename(path);
    out.push(file, file.replace(/\.sock$/, ''));
  }
  return out;
}
