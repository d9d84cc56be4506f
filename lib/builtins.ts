// Node's built-in modules, taken with process.getBuiltinModule (Node 20.16+) instead of `import`:
// a CLI that imports this package pays for everything loaded at import time, and an ES module's
// `import ... from 'node:x'` builds a facade over all of x's exports. node:net, node:crypto, os and
// fs/promises load on first use; node:fs, node:path and node:events are loaded by Node's bootstrap.

export const fs = process.getBuiltinModule('node:fs');
export const { basename, dirname, isAbsolute, join, resolve } = process.getBuiltinModule('node:path');
export const { EventEmitter } = process.getBuiltinModule('node:events');

export function net(): typeof import('node:net') {
  return process.getBuiltinModule('node:net');
}

export function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}

/** node:fs/promises (the getter on node:fs loads it when first read). */
export function fsp(): typeof import('node:fs/promises') {
  return fs.promises;
}

export function os(): typeof import('node:os') {
  return process.getBuiltinModule('node:os');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
