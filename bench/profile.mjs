// CPU profiles of unixipc's server and client under load: `node bench/profile.mjs
// [--impl=unixipc] [--transport=unix] [--placement=same] [--ms=3000] [--top=15]
// [--workloads=seq,pipe256,bulk1,bulk4] [--keep]`.
// Runs the sequential and the 256-in-flight workloads with `node --cpu-prof` on both
// processes, then lists where the non-idle time goes (self time per function, mapped back
// to lib/ files through the bundle's module markers). Writes bench/results/profile-<date>.md.
// --keep leaves the .cpuprofile files in their temp dir (printed) for a closer look: callers,
// in Chrome DevTools or any .cpuprofile viewer.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { analyzeProfile } from './lib/cpuprofile.mjs';
import { IMPLS } from './lib/impls.mjs';
import { clientArgs } from './lib/jobs.mjs';
import { Child, killAll } from './lib/procs.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;
const { values } = parseArgs({
  options: {
    impl: { type: 'string', default: 'unixipc' },
    transport: { type: 'string', default: 'unix' },
    placement: { type: 'string', default: 'same' },
    ms: { type: 'string', default: '3000' },
    top: { type: 'string', default: '15' },
    workloads: { type: 'string', default: 'seq,pipe256' },
    keep: { type: 'boolean', default: false },
  },
});
const impl = IMPLS.find((i) => i.name === values.impl);
if (!impl || impl.server === 'c') throw new Error(`--impl must be a Node implementation, not ${values.impl}`);
const cpus = values.placement === 'same' ? { server: 1, client: 1 } : { server: 0, client: 1 };
const ms = Number(values.ms);
const top = Number(values.top);
const tmp = mkdtempSync(join(os.tmpdir(), 'unixipc-profile-'));
process.on('exit', () => {
  killAll();
  if (values.keep) console.error(`profiles kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

const ALL_WORKLOADS = {
  seq: { seq: { size: 64, warmMs: 300, ms, max: 10_000_000 } },
  pipe256: { pipe: { size: 64, warmMs: 300, ms, max: 100_000_000, depths: [256] } },
  bulk1: { bulk: { size: 1024 * 1024, warmMs: 300, ms, max: 1_000_000, depths: [1] } },
  bulk4: { bulk: { size: 1024 * 1024, warmMs: 300, ms, max: 1_000_000, depths: [4] } },
};
const TITLES = {
  seq: 'Sequential round trips',
  pipe256: '256 in flight',
  bulk1: '1 MiB messages, 1 in flight',
  bulk4: '1 MiB messages, 4 in flight',
};
const workloads = Object.fromEntries(
  values.workloads.split(',').map((name) => {
    if (!ALL_WORKLOADS[name]) throw new Error(`--workloads: unknown ${name} (seq, pipe256, bulk1, bulk4)`);
    return [name, ALL_WORKLOADS[name]];
  }),
);

async function profileOne(name, plan) {
  const dir = mkdtempSync(join(tmp, `${name}-`));
  const profDir = (side) => join(dir, side);
  const server = new Child(
    NODE,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profDir('server')}`,
      join(BENCH, 'impl', 'server.mjs'),
      '--server',
      impl.server,
      '--transport',
      values.transport,
      '--dir',
      dir,
      '--variant',
      JSON.stringify(impl.variant),
    ],
    { cpu: cpus.server },
  );
  const { address } = await server.next(20_000, 'ready line');
  const client = new Child(
    NODE,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profDir('client')}`,
      ...clientArgs(join(BENCH, 'impl', 'client.mjs'), impl, address, plan),
    ],
    { cpu: cpus.client },
  );
  const { results } = await client.next(ms * 3 + 30_000, 'results');
  await client.exited;
  await server.finish(5_000);
  const analyze = (side) => {
    const files = readdirSync(profDir(side)).filter((f) => f.endsWith('.cpuprofile'));
    return files.length ? analyzeProfile(join(profDir(side), files[0])) : undefined;
  };
  return { results, server: analyze('server'), client: analyze('client') };
}

function section(title, profile) {
  if (!profile) return [`#### ${title}`, '', '(no profile written)', ''];
  const lines = [`#### ${title}`, ''];
  lines.push(
    `Busy ${profile.busyMs.toFixed(0)} ms, idle ${profile.idleMs.toFixed(0)} ms. Where the busy time goes: ` +
      profile.files
        .slice(0, 8)
        .map((f) => `${f.file} ${f.pct.toFixed(1)}%`)
        .join(', '),
    '',
    '| function (source) | self % | incl. % |',
    '| --- | ---: | ---: |',
  );
  for (const row of profile.rows.slice(0, top)) {
    lines.push(`| \`${row.fn}\` | ${row.selfPct.toFixed(1)} | ${row.totalPct.toFixed(1)} |`);
  }
  lines.push('', 'Heaviest inclusive frames from lib/:', '');
  for (const row of profile.inclusive.filter((r) => r.fn.includes('(lib/')).slice(0, 10)) {
    lines.push(`- \`${row.fn}\` ${row.totalPct.toFixed(1)}%`);
  }
  lines.push('');
  return lines;
}

const out = [
  `### CPU profile: ${impl.label}, ${values.transport}, ${values.placement === 'same' ? 'same CPU' : 'different CPUs'}, ${ms} ms per workload`,
  '',
  `Generated by \`node bench/profile.mjs ${process.argv.slice(2).join(' ')}\` on ${new Date().toISOString().slice(0, 10)}.`,
  '',
];
for (const [name, plan] of Object.entries(workloads)) {
  console.log(`profiling ${impl.name} ${name} ...`);
  const { results, server, client } = await profileOne(name, plan);
  const r = results.seq ?? results.pipe256 ?? results.bulk1 ?? results.bulk4;
  const rate = name.startsWith('bulk')
    ? `${Math.round(r.MiBps)} MiB/s`
    : `${Math.round(r.rps).toLocaleString('en-US')} req/s`;
  out.push(
    `### ${TITLES[name]}: ${rate}${r.p50 ? `, p50 ${r.p50} us` : ''} (under the profiler)`,
    '',
    ...section('server', server),
    ...section('client', client),
  );
}
const text = out.join('\n');
console.log(text);
const resultsDir = join(BENCH, 'results');
mkdirSync(resultsDir, { recursive: true });
const file = join(
  resultsDir,
  `profile-${impl.name}-${values.transport}-${values.placement}-${new Date().toISOString().slice(0, 10)}.md`,
);
writeFileSync(file, `${text}\n`);
console.log(`written to ${relative(process.cwd(), file)}`);
