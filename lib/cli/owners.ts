// Owners, groups and modes as people read them: "uid 65534 (nobody), gid 0 (root), mode 0700".
import type { Stats } from 'node:fs';
import { fs } from '../builtins.ts';

let names: { users: Map<number, string>; groups: Map<number, string> } | undefined;

/** Names from /etc/passwd and /etc/group (best effort: a directory service is not asked). */
function lookup(): { users: Map<number, string>; groups: Map<number, string> } {
  const read = (file: string) => {
    const map = new Map<number, string>();
    try {
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const [name, , id] = line.split(':');
        if (name && id !== undefined && /^\d+$/.test(id) && !map.has(Number(id))) map.set(Number(id), name);
      }
    } catch {}
    return map;
  };
  names ??= { users: read('/etc/passwd'), groups: read('/etc/group') };
  return names;
}

export function userName(uid: number): string {
  const name = lookup().users.get(uid);
  return name === undefined ? `uid ${uid}` : `uid ${uid} (${name})`;
}

export function groupName(gid: number): string {
  const name = lookup().groups.get(gid);
  return name === undefined ? `gid ${gid}` : `gid ${gid} (${name})`;
}

export function modeOf(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/** "owner uid 0 (root), group gid 0 (root), mode 0700". */
export function ownership(st: Stats): string {
  return `owner ${userName(st.uid)}, group ${groupName(st.gid)}, mode ${modeOf(st)}`;
}

/** This process as the kernel sees it when it checks permissions. */
export function whoAmI(): string {
  if (typeof process.getuid !== 'function') return 'you';
  const groups = (process.getgroups?.() ?? []).filter((gid) => gid !== process.getgid!());
  return `you (${userName(process.getuid())}, ${groupName(process.getgid!())}${groups.length > 0 ? `, also ${groups.map(groupName).join(', ')}` : ''})`;
}
