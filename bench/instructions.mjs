// Instructions per request, counted by valgrind (callgrind), not timed:
// `node bench/instructions.mjs [--impls=raw-cork,unixipc] [--count=100000] [--depth=256]`.
// On this kind of shared VM a timed rate moves by tens of percent from one second to the next;
// an instruction count of the same program and input moves by about 1%. Each implementation runs
// its bench server and client in one process (impl/inproc.mjs) over a socket path, twice: with a
// few thousand requests and with COUNT more; the difference over COUNT is its user-space cost per
// request, both sides together (the kernel's share, the same for all, is not counted). Node runs
// with --single-threaded so that V8 compiles on the main thread, the same way every time. Also
// lists the V8 builtins whose counts differ most between the first two implementations. Needs
// valgrind; takes about 30 s per run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    impls: { type: 'string', default: 'raw-cork,unixipc' },
    count: { type: 'string', default: '100000' },
    depth: { type: 'string', default: '256' },
  },
});
const impls = values.impls.split(',').filter(Boolean);
const count = Math.max(1_000, Math.min(1_000_000, Number(values.count) || 100_000));
const depth = Math.max(1, Math.min(4_096, Number(values.depth) || 256));
const BASE = 5_000;

const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
if (valgrind.status !== 0) {
  console.log('valgrind not found: nothing measured');
  process.exit(0);
}
const tmp = mkdtempSync(join(os.tmpdir(), 'unixipc-instr-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Total instructions of one run, and its per-function counts of V8 builtins. */
function run(impl, n) {
  const out = join(tmp, `${impl}-${n}.out`);
  const args = [
    '--tool=callgrind',
    `--callgrind-out-file=${out}`,
    process.execPath,
    '--single-threaded',
    join(BENCH, 'impl', 'inproc.mjs'),
    impl,
    String(n),
    String(depth),
  ];
  const r = spawnSync('valgrind', args, { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${impl} ${n}: ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const total = Number(/Collected : (\d+)/.exec(r.stderr)?.[1]);
  return { total, builtins: builtinCounts(out) };
}

/** Self instructions per V8 builtin (Builtins_*) from a callgrind output file. */
function builtinCounts(file) {
  const counts = new Map();
  const names = new Map();
  let current;
  // The cost line after `calls=` is the inclusive cost of that call, not self cost.
  let callCost = false;
  for (const line of readFileSync(file, 'latin1').split('\n')) {
    const fn = /^(c?)fn=\((\d+)\)(?: (.*))?$/.exec(line);
    if (fn) {
      if (fn[3] !== undefined) names.set(fn[2], fn[3]);
      if (fn[1] === '') current = names.get(fn[2]);
      continue;
    }
    if (line.startsWith('calls=')) {
      callCost = true;
      continue;
    }
    const cost = /^(?:[+-]?\d+|\*) (\d+)$/.exec(line);
    if (!cost) continue;
    if (!callCost && current?.startsWith('Builtins_'))
      counts.set(current, (counts.get(current) ?? 0) + Number(cost[1]));
    callCost = false;
  }
  return counts;
}

const results = [];
for (const impl of impls) {
  const a = run(impl, BASE);
  const b = run(impl, BASE + count);
  const perBuiltin = new Map();
  for (const [name, n] of b.builtins) perBuiltin.set(name, (n - (a.builtins.get(name) ?? 0)) / count);
  results.push({ impl, perRequest: (b.total - a.total) / count, perBuiltin });
  console.log(`${impl}: ${Math.round((b.total - a.total) / count)} instructions per request`);
}

console.log(
  `\nInstructions per 64-byte request, ${depth} in flight, both sides in one process (user space; valgrind ${valgrind.stdout.trim()}, Node ${process.version})\n`,
);
console.log('| implementation | per request | vs first |');
console.log('| --- | ---: | ---: |');
for (const r of results)
  console.log(
    `| ${r.impl} | ${Math.round(r.perRequest)} | ${(r.perRequest / results[0].perRequest).toFixed(2)}x |`,
  );
if (results.length >= 2) {
  const [x, y] = results;
  const names = new Set([...x.perBuiltin.keys(), ...y.perBuiltin.keys()]);
  const diffs = [...names]
    .map((name) => ({ name, x: x.perBuiltin.get(name) ?? 0, y: y.perBuiltin.get(name) ?? 0 }))
    .sort((p, q) => Math.abs(q.y - q.x) - Math.abs(p.y - p.x))
    .slice(0, 12);
  console.log(`\nV8 builtins per request that differ most (self instructions; JIT code is not named):\n`);
  console.log(`| builtin | ${x.impl} | ${y.impl} |`);
  console.log('| --- | ---: | ---: |');
  for (const d of diffs) console.log(`| ${d.name} | ${Math.round(d.x)} | ${Math.round(d.y)} |`);
}
