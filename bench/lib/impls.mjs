/**
 * Every implementation measured, and what it takes part in. `server` and
 * `client` name modules in bench/impl/servers and bench/impl/clients (or 'c',
 * the native pingpong binary); `variant` is handed to both.
 * Workloads: seq (A), pipe (B), bulk (C), oneshot (D), mem (E). `oneshotCjs`: workload D
 * also runs as a CommonJS script (`bench/impl/oneshot/<name>.cjs`, with `require`).
 */
export const IMPLS = [
  {
    name: 'raw',
    label: 'raw net',
    server: 'raw',
    client: 'raw',
    variant: { cork: false, nodelay: true },
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot', 'mem'],
    oneshotCjs: true,
    note: 'one write per frame; TCP_NODELAY on',
  },
  {
    name: 'raw-cork',
    label: 'raw net, corked',
    server: 'raw',
    client: 'raw',
    variant: { cork: true, nodelay: true },
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk'],
    note: 'writes of one tick batched with cork/uncork (writev); TCP_NODELAY on',
  },
  {
    name: 'raw-nagle',
    label: 'raw net, Nagle',
    server: 'raw',
    client: 'raw',
    variant: { cork: false, nodelay: false },
    payload: 'bytes',
    transports: ['tcp'],
    workloads: ['seq', 'pipe', 'bulk'],
    note: "one write per frame; Node's default (Nagle on)",
  },
  {
    name: 'raw-cork-nagle',
    label: 'raw net, corked, Nagle',
    server: 'raw',
    client: 'raw',
    variant: { cork: true, nodelay: false },
    payload: 'bytes',
    transports: ['tcp'],
    workloads: ['seq', 'pipe', 'bulk'],
    note: 'corked; Nagle on',
  },
  {
    name: 'unixipc',
    label: 'unixipc',
    server: 'unixipc',
    client: 'unixipc',
    variant: {},
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot', 'mem'],
    oneshotCjs: true,
    note: "serve(path, { handlers: { echo: (x) => x } }), client.request('echo', Buffer); one-shot: call(path, 'echo', Buffer)",
  },
  {
    name: 'unixipc-connect',
    label: 'unixipc, connect() + request() + close()',
    server: 'unixipc',
    client: 'unixipc',
    variant: {},
    payload: 'bytes',
    workloads: ['oneshot'],
    oneshotCjs: true,
    note: 'one-shot through a long-lived Client: the hello, then the request, then a graceful close',
  },
  {
    name: 'unixipc-json',
    label: 'unixipc (JSON string)',
    server: 'unixipc',
    client: 'unixipc',
    variant: {},
    payload: 'string',
    workloads: ['seq', 'pipe'],
    note: 'the same with a 64-character string as params (JSON encoded)',
  },
  {
    name: 'node-ipc10',
    label: 'node-ipc 10',
    server: 'node-ipc',
    client: 'node-ipc',
    variant: { version: 10 },
    payload: 'string',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot', 'mem'],
    note: '@achrinza/node-ipc 10.1.11; emit(echo, { i, p }) with a string payload (JSON only)',
  },
  {
    name: 'node-ipc14',
    label: 'node-ipc 14',
    server: 'node-ipc',
    client: 'node-ipc',
    variant: { version: 14 },
    payload: 'string',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot', 'mem'],
    note: "node-ipc 14.0.0 ('fast' parser); same messages",
  },
  {
    name: 'zeromq',
    label: 'zeromq 6',
    server: 'zeromq',
    client: 'zeromq',
    variant: {},
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot'],
    oneshotCjs: true,
    note: 'REQ/REP for sequential, DEALER/ROUTER for pipelined and bulk',
  },
  {
    name: 'http',
    label: 'HTTP/1.1',
    server: 'http',
    client: 'http',
    variant: {},
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk', 'oneshot', 'mem'],
    oneshotCjs: true,
    note: "node:http POST /echo, keep-alive agent with maxSockets 1 (Node's client does not pipeline)",
  },
  {
    name: 'c',
    label: 'C (cc -O2)',
    server: 'c',
    client: 'c',
    variant: {},
    payload: 'bytes',
    workloads: ['seq', 'pipe', 'bulk'],
    note: 'raw wire format; blocking round trips, poll-driven windows, server echoes what it read in one write',
  },
];

function usageError(message) {
  return Object.assign(new Error(message), { usage: true });
}

export function implsFor(names) {
  if (!names) return IMPLS;
  const wanted = new Set(names);
  // The raw floors are what the ratios are taken against: always keep them.
  wanted.add('raw');
  wanted.add('raw-cork');
  const unknown = [...wanted].filter((name) => !IMPLS.some((impl) => impl.name === name));
  if (unknown.length > 0) {
    throw usageError(
      `unknown implementation(s): ${unknown.join(', ')}; known: ${IMPLS.map((i) => i.name).join(', ')}`,
    );
  }
  return IMPLS.filter((impl) => wanted.has(impl.name));
}

export function supports(impl, workload, transport) {
  return impl.workloads.includes(workload) && (impl.transports ?? ['unix', 'tcp']).includes(transport);
}

/** The empty-script baselines of workload D: what loading any .mjs or .cjs costs over `node -e 0`. */
const EMPTY_SCRIPTS = [
  {
    name: 'esm-empty',
    label: 'empty .mjs script',
    server: null,
    oneshotScript: 'empty.mjs',
    note: 'one-shot baseline: `node empty.mjs`, what loading any ES module script costs',
  },
  {
    name: 'cjs-empty',
    label: 'empty .cjs script',
    server: null,
    oneshotScript: 'empty.cjs',
    note: 'one-shot baseline: `node empty.cjs`, what loading any CommonJS script costs',
  },
];

/**
 * What workload D runs: the empty baselines, then each implementation as an ES
 * module (`import`) and, where it has one, as a CommonJS script (`require`,
 * named `<name>-cjs`). An ES module entry costs Node several ms before it runs
 * a line, and importing a CommonJS package from one adds its export scan, so
 * the two are reported side by side.
 */
export function oneshotVariants(impls) {
  const out = [...EMPTY_SCRIPTS];
  for (const impl of impls.filter((i) => i.workloads.includes('oneshot'))) {
    const script = impl.oneshot ?? impl.name;
    out.push({ ...impl, oneshotScript: `${script}.mjs` });
    if (impl.oneshotCjs) {
      out.push({
        ...impl,
        name: `${impl.name}-cjs`,
        label: `${impl.label}, require()`,
        oneshotScript: `${script}.cjs`,
      });
    }
  }
  return out;
}

/** A workload-D baseline row (an empty script, no server). */
export function isEmptyScript(name) {
  return name.endsWith('-empty');
}
