import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
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

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim(),
    cpus: cpus.length,
    mhz: cpus[0]?.speed,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    kernel: `${os.type()} ${os.release()}`,
    arch: process.arch,
    virtualization: firstLine('systemd-detect-virt', []) ?? undefined,
    taskset: HAS_TASKSET,
    cc: firstLine('cc', ['--version']),
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    packages: {
      unixipc: packageVersion('unixipc'),
      '@achrinza/node-ipc': packageVersion('@achrinza/node-ipc'),
      'node-ipc14': packageVersion('node-ipc14'),
      zeromq: packageVersion('zeromq'),
    },
  };
}
