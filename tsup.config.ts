import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'lib/index.ts', call: 'lib/call-entry.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    target: 'node20',
    platform: 'node',
    clean: true,
    splitting: false,
  },
  {
    // The command. Splitting puts each subcommand (a dynamic import in main.ts) in a chunk of its
    // own, so `unixipc --version` compiles main.js alone and `unixipc call` no more than the one-shot
    // call: one bundle would make every run parse all of bench, the chart, Server and Client.
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
