// Reads an `strace -f -o FILE` log into the story run.mjs prints: each API call (the markers that
// server.mjs and client.mjs write to fd 1) with the socket system calls its process made after it,
// and the links and unlinks of files in the example's directory. Pure: a string in, rows out.

const SOCKET_CALLS = new Set([
  'socket',
  'socketpair',
  'bind',
  'listen',
  'accept',
  'accept4',
  'connect',
  'shutdown',
  'getsockopt',
  'setsockopt',
  'getsockname',
  'getpeername',
  'sendto',
  'recvfrom',
  'sendmsg',
  'recvmsg',
]);
const IO_CALLS = new Set(['read', 'write', 'writev', 'readv']);
/** File calls shown when they name a path in the example's directory: the safe bind's link and unlink. */
const PATH_CALLS = new Set(['link', 'linkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2']);
/** Calls with no descriptor argument of their own. */
const NEW_SOCKET = new Set(['socket', 'socketpair']);
const MARKER = /^write\(1, "@@ (server|client)\| (.*)\\n", \d+\)/;

/** Joins "<unfinished ...>" lines with their "<... NAME resumed>" ends. */
function joined(log) {
  const open = new Map();
  const out = [];
  for (const raw of log.split('\n')) {
    const match = /^(\d+) +(.*)$/.exec(raw);
    if (!match) continue;
    const [, pid, rest] = match;
    if (rest.endsWith('<unfinished ...>')) {
      open.set(pid, rest.slice(0, -'<unfinished ...>'.length).trimEnd());
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (resumed) {
      // "write(19, ..., 16 <unfinished ...>" + "<... write resumed>) = 16", or
      // "getsockopt(18, SOL_SOCKET, SO_ERROR, <unfinished ...>" + "<... getsockopt resumed>[0], [4]) = 0"
      const head = open.get(pid) ?? '';
      out.push({ pid, text: `${head}${head.endsWith(',') ? ' ' : ''}${resumed[1].trimStart()}` });
      open.delete(pid);
      continue;
    }
    out.push({ pid, text: rest });
  }
  return out;
}

function unquote(text) {
  return text.replace(/\\(["\\])/g, '$1');
}

/**
 * Rows in the order they happened: { role, kind: 'api', text } for a marker, and
 * { role, kind: 'sys', name, text } for a socket call, or a read or write on a socket, by a
 * process that wrote markers. Node's own startup reads and writes (files, its internal pipes and
 * eventfds) are left out: only descriptors that socket() or accept4() returned count.
 */
export function parseTrace(log, dir) {
  const lines = joined(log);
  // libuv's thread pool runs the file calls (link, unlink): its threads count as their process.
  const processOf = new Map();
  for (const { pid, text } of lines) {
    const clone = /^clone3?\(.*CLONE_THREAD.*\) = (\d+)$/.exec(text);
    if (clone) processOf.set(clone[1], processOf.get(pid) ?? pid);
  }
  const roles = new Map();
  for (const { pid, text } of lines) {
    const marker = MARKER.exec(text);
    if (marker && !roles.has(pid)) roles.set(pid, marker[1]);
  }
  const sockets = new Map(); // process -> Set of socket fds
  const rows = [];
  for (const { pid, text } of lines) {
    const owner = processOf.get(pid) ?? pid;
    const role = roles.get(owner);
    if (role === undefined) continue;
    const marker = MARKER.exec(text);
    if (marker) {
      rows.push({ role, kind: 'api', text: unquote(marker[2]) });
      continue;
    }
    const call = /^(\w+)\((-?\d+)?/.exec(text);
    if (!call) continue;
    const [, name, fdText] = call;
    const fd = Number(fdText);
    const fds = sockets.get(owner) ?? new Set();
    sockets.set(owner, fds);
    const result = /= (-?\d+)/.exec(text.slice(text.lastIndexOf(')')));
    if (SOCKET_CALLS.has(name)) {
      // Node asks what its stdio descriptors are (getsockname on 1 and 2): not this story.
      if (!NEW_SOCKET.has(name) && !fds.has(fd)) continue;
      if ((name === 'socket' || name.startsWith('accept')) && result && Number(result[1]) >= 0) {
        fds.add(Number(result[1]));
      }
      rows.push({ role, kind: 'sys', name, text });
    } else if (IO_CALLS.has(name) && fds.has(fd)) {
      rows.push({ role, kind: 'sys', name, text });
    } else if (PATH_CALLS.has(name) && dir !== undefined && text.includes(dir)) {
      rows.push({ role, kind: 'sys', name, text });
    } else if (name === 'close' && fds.has(fd)) {
      fds.delete(fd);
    }
  }
  return rows;
}

/** The address families the socket() calls of ROWS asked for. */
export function families(rows) {
  const seen = new Set();
  for (const row of rows) {
    const family = row.kind === 'sys' && row.name === 'socket' && /^socket\((AF_\w+)/.exec(row.text)?.[1];
    if (family) seen.add(family);
  }
  return seen;
}
