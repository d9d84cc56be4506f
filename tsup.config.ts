import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'lib/index.ts',
      call: 'lib/client/call-entry.ts',
      protocol: 'lib/protocol-entry.ts',
      nats: 'lib/nats/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    platform: 'node',
    clean: false,
    splitting: false,
  },
  {
    // unixipc/node-ipc: its CommonJS module.exports is the default export itself (cjsInterop),
    // as node-ipc 9.x's was, and the .d.cts says `export =`.
    entry: { 'node-ipc': 'lib/compat/node-ipc/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    cjsInterop: true,
    target: 'node20',
    platform: 'node',
    // tsup applies cjsInterop only to a CommonJS build it makes by splitting (its exports list).
    splitting: true,
  },
  {
    entry: { 'cli/main': 'lib/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: false,
  },
]);
