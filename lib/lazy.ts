import fs from 'node:fs';

// Built-in modules only a server needs, loaded on first use. A CLI that imports this
// package to make one call pays for every module loaded at import time: node:crypto
// alone costs about 5 ms, fs/promises, os and timers/promises about 1 ms each.
// process.getBuiltinModule exists since Node 20.16.

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
