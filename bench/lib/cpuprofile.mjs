import { readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Maps lines of a tsup bundle back to the source file they came from, using
 * the `// lib/xxx.ts` markers esbuild writes before each module.
 */
function bundleMap(url) {
  let text;
  try {
    text = readFileSync(fileURLToPath(url), 'utf8');
  } catch {
    return undefined;
  }
  const marks = [];
  text.split('\n').forEach((line, i) => {
    const match = /^\/\/ (lib\/\S+\.ts)$/.exec(line);
    if (match) marks.push([i, match[1]]);
  });
  return (line) => {
    let source;
    for (const [at, file] of marks) {
      if (at > line) break;
      source = file;
    }
    return source;
  };
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Self and inclusive time per function of a .cpuprofile, in ms, busiest first. */
export function analyzeProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const maps = new Map();
  const keyOf = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || '(anonymous)';
    if (SPECIAL.has(name)) return name;
    if (!url) return `${name} (native)`;
    if (url.includes('/dist/')) {
      if (!maps.has(url)) maps.set(url, bundleMap(url));
      const source = maps.get(url)?.(lineNumber);
      return `${name} (${source ?? basename(url)})`;
    }
    if (url.startsWith('node:')) return `${name} (${url})`;
    const path = url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
    return `${name} (${path}:${lineNumber + 1})`;
  };
  const self = new Map();
  const total = new Map();
  let busy = 0;
  let all = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const ms = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    all += ms;
    const leaf = byId.get(samples[i]);
    const leafKey = keyOf(leaf);
    self.set(leafKey, (self.get(leafKey) ?? 0) + ms);
    if (leafKey === '(idle)') continue;
    busy += ms;
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const key = keyOf(byId.get(id));
      if (seen.has(key) || key === '(root)') continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  }
  const rows = [...self.entries()]
    .filter(([key]) => key !== '(idle)')
    .map(([key, ms]) => ({
      fn: key,
      selfMs: ms,
      selfPct: (100 * ms) / busy,
      totalPct: (100 * (total.get(key) ?? ms)) / busy,
    }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const files = new Map();
  for (const row of rows) {
    const match = /\((lib\/[^)]+|node:[^)]+|native|[^)]*)\)$/.exec(row.fn);
    const where = SPECIAL.has(row.fn) ? row.fn : (match?.[1] ?? '?');
    const group = where.startsWith('lib/')
      ? where
      : where.startsWith('node:')
        ? 'node internals (JS)'
        : where;
    files.set(group, (files.get(group) ?? 0) + row.selfMs);
  }
  const inclusive = [...total.entries()]
    .map(([key, ms]) => ({ fn: key, totalPct: (100 * ms) / busy }))
    .sort((a, b) => b.totalPct - a.totalPct);
  return {
    busyMs: busy,
    idleMs: all - busy,
    rows,
    inclusive,
    files: [...files.entries()]
      .map(([file, ms]) => ({ file, pct: (100 * ms) / busy }))
      .sort((a, b) => b.pct - a.pct),
  };
}
