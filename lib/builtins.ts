// Node's built-in modules, taken with process.getBuiltinModule (Node 20.16+) instead of `import`.
// A CLI that imports this package to make one call pays for everything loaded at import time:
// - in an ES module, each `import ... from 'node:x'` builds a facade over all of x's exports
//   (about 1 ms each for node:fs and node:net on this class of machine), and in the CommonJS
//   build a default import goes through a helper that copies every property;
// - node:net (with the stream machinery under it) costs 3-5 ms and node:crypto about 5 ms to
//   load, fs/promises and os about 1 ms each: these load on first use, so a CLI that imports
//   unixipc but runs a command that never connects pays nothing for them.
// node:fs, node:path and node:events are loaded by Node's own bootstrap: taking them costs nothing.

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
