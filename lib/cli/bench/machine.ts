// The machine a benchmark ran on, for its report.
const os = process.getBuiltinModule('node:os');

export interface MachineBasics {
  cpuModel: string | undefined;
  cpus: number;
  mhz: number | undefined;
  memoryGiB: number;
  node: string;
  v8: string;
  kernel: string;
  platform: string;
  arch: string;
  loadavgStart: number[];
}

export function machineBasics(): MachineBasics {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim(),
    cpus: cpus.length,
    mhz: cpus[0]?.speed,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    kernel: `${os.type()} ${os.release()}`,
    platform: process.platform,
    arch: process.arch,
    loadavgStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
