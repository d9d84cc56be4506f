import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { machineBasics } from '../../dist/cli/bench-kit.js';
import { HAS_TASKSET } from './procs.mjs';

const require = createRequire(import.meta.url);

function firstLine(cmd, args) {
  const out = spawnSync(cmd, args, { encoding: 'utf8' });
  return out.status === 0 ? (out.stdout || out.stderr).trim().split('\n')[0] : undefined;
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    try {
      // ESM-only packages without "./package.json" in their exports
      const path = require.resolve.paths(name)?.map((dir) => `${dir}/${name}/package.json`) ?? [];
      for (const file of path) {
        try {
          return JSON.parse(readFileSync(file, 'utf8')).version;
        } catch {}
      }
    } catch {}
    return undefined;
  }
}

/** The machine as `unixipc bench` describes it (machineBasics), and what the suite adds. */
export function machineInfo() {
  return {
    ...machineBasics(),
    virtualization: firstLine('systemd-detect-virt', []) ?? undefined,
    taskset: HAS_TASKSET,
    cc: firstLine('cc', ['--version']),
    packages: {
      unixipc: packageVersion('unixipc'),
      '@achrinza/node-ipc': packageVersion('@achrinza/node-ipc'),
      'node-ipc14': packageVersion('node-ipc14'),
      zeromq: packageVersion('zeromq'),
    },
  };
}
