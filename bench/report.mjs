// Regenerates BENCHMARKS.md from a results file: `node bench/report.mjs bench/results/<date>.json`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, renderSummary } from './lib/report.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/report.mjs bench/results/<file>.json');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(results, relative(ROOT, resolve(file))));
console.log(renderSummary(results));
