// Where benchmark processes run: pinned to CPUs with taskset where it works (Linux with
// util-linux), unpinned elsewhere, and the report says which.
import type { Placement } from './types.ts';

const { spawnSync } = process.getBuiltinModule('node:child_process');

let taskset: boolean | undefined;

/** Whether `taskset -c 0 true` works here (checked once). */
export function hasTaskset(): boolean {
  taskset ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return taskset;
}

/** [command, args] that runs FILE ARGS on CPU (a number or a list such as "0,1"), or unpinned. */
export function pinned(
  file: string,
  args: string[],
  cpu: number | string | undefined | null,
): [string, string[]] {
  return cpu !== undefined && cpu !== null && hasTaskset()
    ? ['taskset', ['-c', String(cpu), file, ...args]]
    : [file, args];
}

/** The CPUs this process may run on (Linux: Cpus_allowed_list), else 0..n-1. */
export function allowedCpus(): number[] {
  const fs = process.getBuiltinModule('node:fs');
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
    if (list) {
      const cpus: number[] = [];
      for (const part of list.split(',')) {
        const [from, to = from] = part.split('-').map(Number);
        for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
      }
      if (cpus.length > 0) return cpus;
    }
  } catch {}
  return Array.from({ length: process.getBuiltinModule('node:os').availableParallelism() }, (_, i) => i);
}

/**
 * What --cpus asks for: auto (server and client on two CPUs when there are two and taskset
 * works, else unpinned), split, same (both on one CPU), none, N (both on N), or S,C.
 * Throws a TypeError for anything else.
 */
export function choosePlacement(cpus: string): Placement {
  const unpinned = (note: string): Placement => ({ pinned: false, serverCpu: null, clientCpu: null, note });
  if (cpus === 'none') return unpinned('unpinned (--cpus none)');
  const allowed = allowedCpus();
  let server: number;
  let client: number;
  if (cpus === 'auto' || cpus === 'split') {
    if (allowed.length < 2) {
      if (cpus === 'split') throw new TypeError('--cpus split needs two CPUs; this process may use one');
      return unpinned('unpinned: one CPU');
    }
    [server, client] = [allowed[0]!, allowed[1]!];
  } else if (cpus === 'same') {
    server = client = allowed[allowed.length - 1]!;
  } else if (/^\d+(,\d+)?$/.test(cpus)) {
    const [s, c = s] = cpus.split(',').map(Number);
    [server, client] = [s!, c!];
    for (const cpu of [server, client]) {
      if (!allowed.includes(cpu))
        throw new TypeError(`CPU ${cpu} is not one this process may use (${allowed.join(',')})`);
    }
  } else {
    throw new TypeError(`--cpus takes auto, split, same, none, N or S,C, not ${JSON.stringify(cpus)}`);
  }
  if (!hasTaskset()) return unpinned(`unpinned: taskset is not available on ${process.platform}`);
  return {
    pinned: true,
    serverCpu: server,
    clientCpu: client,
    note:
      server === client
        ? `server and client on CPU ${server} (taskset)`
        : `server on CPU ${server}, client on CPU ${client} (taskset)`,
  };
}
