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
    // The command. Splitting puts each subcommand (a dynamic import in main.ts) in a chunk of its
    // own, so `unixipc --version` compiles main.js alone (3 KB) and `unixipc call` no more than the
    // one-shot call: as one bundle (246 KB) every run parses all of bench, the chart, Server and
    // Client. Importing main.js for --version in a fresh process took 10.6 ms split against 19.0 ms
    // as one bundle (an empty module: 8.1 ms; medians of 40 runs on the 2-vCPU VM).
    // bench-worker: the processes `unixipc bench` spawns; bench-kit: what bench/ shares with it.
    // Everything lands in dist/cli/, so a chunk finds bench-worker.js and package.json by the same
    // relative paths as main.js.
    entry: {
      main: 'lib/cli/main.ts',
      'bench-worker': 'lib/cli/bench/worker.ts',
      'bench-kit': 'lib/cli/bench/kit.ts',
    },
    outDir: 'dist/cli',
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
  },
]);
