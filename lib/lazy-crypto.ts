/**
 * node:crypto costs about 5 ms to load, half of a CLI's budget for importing
 * this package, and only a server (tokens, lock names, temporary names) needs
 * it: load it on first use. process.getBuiltinModule exists since Node 20.16.
 */
export function crypto(): typeof import('node:crypto') {
  return process.getBuiltinModule('node:crypto');
}
