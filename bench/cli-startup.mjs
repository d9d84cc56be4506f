// How long the `unixipc` command takes to start: `node dist/cli/main.js --version` (and a
// subcommand's --help, which loads that subcommand's chunk) against `node -e 0`, in interleaved
// runs, each timed from spawn to exit as a shell sees it. Medians; the "over node" column is the
// median of the differences within each round (a noisy minute moves both runs of a round alike).
//   node bench/cli-startup.mjs [--runs N] [--json]      (build first: npx tsup)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, percentile } from './lib/stats.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '40' }, json: { type: 'boolean' } },
});
const runs = Number(values.runs);
const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) throw new Error(`${main} is missing: run npx tsup first`);

// An empty ES module: what any ESM bin pays before its first line (Node's ES module loader).
const scratch = mkdtempSync(join(tmpdir(), 'cli-startup-'));
const emptyModule = join(scratch, 'empty.mjs');
writeFileSync(emptyModule, '');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'node empty.mjs', args: [emptyModule] },
  { name: 'unixipc --version', args: [main, '--version'] },
  { name: 'unixipc call --help', args: [main, 'call', '--help'] },
  { name: 'unixipc bench --help', args: [main, 'bench', '--help'] },
];

function once(args) {
  const t0 = performance.now();
  const out = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (out.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${out.stderr}`);
  return ms;
}

const times = cases.map(() => []);
for (const c of cases) once(c.args); // warm the file cache
for (let round = 0; round < runs; round++) {
  // A different order each round, so that no case always runs first.
  const order = cases.map((_, i) => (i + round) % cases.length);
  for (const i of order) times[i].push(once(cases[i].args));
}
const base = times[0];
const rows = cases.map((c, i) => {
  const sorted = [...times[i]].sort((a, b) => a - b);
  return {
    name: c.name,
    medianMs: median(times[i]),
    p25Ms: percentile(sorted, 0.25),
    p75Ms: percentile(sorted, 0.75),
    overNodeMs: i === 0 ? 0 : median(times[i].map((t, k) => t - base[k])),
  };
});
if (values.json) {
  process.stdout.write(`${JSON.stringify({ runs, node: process.version, rows }, null, 2)}\n`);
} else {
  const f = (ms) => ms.toFixed(1).padStart(7);
  console.log(`${runs} interleaved runs each, Node ${process.version}; ms from spawn to exit`);
  console.log(`${'command'.padEnd(24)} median     p25     p75  over node`);
  for (const r of rows)
    console.log(`${r.name.padEnd(24)}${f(r.medianMs)} ${f(r.p25Ms)} ${f(r.p75Ms)}    ${f(r.overNodeMs)}`);
}
