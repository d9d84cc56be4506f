// Where a one-shot CLI call's time goes: `node bench/oneshot-anatomy.mjs [--runs=15] [--transport=unix]`.
// Starts a raw net and a unixipc echo server (CPU 0), then runs fresh client processes (CPU 1)
// interleaved: bare `node -e 0`, an empty .cjs, and impl/oneshot/anatomy.cjs, which times inside
// the process loading node:net, loading the library (by package name and by file path), the first
// call and a second one. The second call runs the same code warm: first minus second is the cost
// of running that code for the first time (compiling it, and Node's own first-use paths).
// Measures dist/ (run `npx tsup` first). Prints medians in a Markdown table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { IMPLS } from './lib/impls.mjs';
import { withServer } from './lib/jobs.mjs';
import { killAll, timedRun } from './lib/procs.mjs';
import { median } from './lib/stats.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, transport: { type: 'string', default: 'unix' } },
});
const runs = Math.max(1, Math.min(200, Number(values.runs) || 15));
const transport = values.transport === 'tcp' ? 'tcp' : 'unix';
const tmp = mkdtempSync(join(os.tmpdir(), 'unixipc-anatomy-'));
process.on('exit', () => {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
});
const empty = join(tmp, 'empty.cjs');
writeFileSync(empty, '');
const probe = join(BENCH, 'impl', 'oneshot', 'anatomy.cjs');
const ctx = { tmp };
const impl = (name) => IMPLS.find((i) => i.name === name);
const cpu = 1;

const rows = { bare: [], empty: [], raw: [], 'by-name': [], 'by-path': [] };
async function run(file, args) {
  const result = await timedRun(file, args, { cpu });
  if (result.code !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

await withServer(impl('raw'), transport, 0, ctx, (rawAddress) =>
  withServer(impl('unixipc'), transport, 0, ctx, async (address) => {
    for (let k = 0; k < runs; k++) {
      rows.bare.push({ wallMs: (await run(NODE, ['-e', '0'])).wallMs });
      rows.empty.push({ wallMs: (await run(NODE, [empty])).wallMs });
      for (const mode of k % 2 === 0 ? ['raw', 'by-name', 'by-path'] : ['by-path', 'by-name', 'raw']) {
        const r = await run(NODE, [probe, mode, JSON.stringify(mode === 'raw' ? rawAddress : address)]);
        rows[mode].push({ wallMs: r.wallMs, ...r.result });
      }
    }
  }),
);

const med = (mode, key) => median(rows[mode].map((r) => r[key]));
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '');
const bare = med('bare', 'wallMs');
console.log(
  `One-shot anatomy over ${transport}, ${runs} runs each, medians (ms); bare \`node -e 0\`: ${fmt(bare)} ms\n`,
);
console.log(
  '| client | wall over bare | load node:net | load the library | first call | second call | first minus second |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
console.log(`| empty .cjs | ${fmt(med('empty', 'wallMs') - bare)} | | | | | |`);
const label = {
  raw: 'raw net',
  'by-name': "unixipc, require('unixipc/call')",
  'by-path': 'unixipc, require(dist/call.cjs)',
};
for (const mode of ['raw', 'by-name', 'by-path']) {
  const first = med(mode, 'firstMs');
  const second = med(mode, 'secondMs');
  console.log(
    `| ${label[mode]} | ${fmt(med(mode, 'wallMs') - bare)} | ${fmt(med(mode, 'netMs'))} | ${mode === 'raw' ? '' : fmt(med(mode, 'loadMs'))} | ${fmt(first)} | ${fmt(second)} | ${fmt(first - second)} |`,
  );
}
