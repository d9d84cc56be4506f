import { describe, expect, it } from 'vitest';

// The benchmark's reduction of paired windows decides whether a target is met, so it is tested
// like the library. It is plain JavaScript outside the typed tree: loaded by URL, typed here.
type Window = { rps: number; faults?: number; serverFaults?: number };
type Cycle = Record<string, Window>;
type Reduced = Record<string, Record<string, Record<string, number>>>;
const { pairedSummaryOfRun } = (await import(
  new URL('../../bench/lib/summary.mjs', import.meta.url).href
)) as {
  pairedSummaryOfRun: (results: Record<string, unknown>) => Reduced;
};

const MiB = 1024 * 1024;

describe('pairedSummaryOfRun, bulk phases', () => {
  // raw-cork has the higher median rate over the cycles, so it is the floor, although raw wins
  // the middle cycle; ratios are taken cycle by cycle, then their median.
  // One cycle's windows over AF_UNIX, each with 2 client and 3 server faults per message.
  const cycle = (raw: number, cork: number, unixipc: number, zeromq: number): Cycle => {
    const w = (rps: number): Window => ({ rps, faults: 2, serverFaults: 3 });
    return {
      'raw@unix': w(raw),
      'raw-cork@unix': w(cork),
      'unixipc@unix': w(unixipc),
      'zeromq@unix': w(zeromq),
    };
  };
  const cycles: Cycle[] = [cycle(500, 800, 880, 1000), cycle(900, 850, 850, 850), cycle(600, 900, 450, 300)];

  it('judges unixipc against the best raw variant and zeromq, window by window', () => {
    const out = pairedSummaryOfRun({ bulk1: { size: MiB, depth: 1, cycles } });
    // unixipc / raw-cork per cycle: 1.1, 1.0, 0.5 -> median 1.0 (raw's would be 1.76, 0.94, 0.75).
    expect(out.bulkVsBestRaw?.unix?.bulk1).toBeCloseTo(1.0, 6);
    // unixipc / zeromq per cycle: 0.88, 1.0, 1.5 -> median 1.0.
    expect(out.bulkVsZeromq?.unix?.bulk1).toBeCloseTo(1.0, 6);
    expect(out.bulkAbs?.['raw-cork@unix']).toEqual({ bulk1MiBps: 850, bulk1Faults: 2, bulk1ServerFaults: 3 });
  });

  it('reports MiB/s from the messages per second and their size', () => {
    const out = pairedSummaryOfRun({ bulk4: { size: MiB / 2, depth: 4, cycles } });
    expect(out.bulkAbs?.['unixipc@unix']?.bulk4MiBps).toBe(850 / 2);
    expect(out.bulkVsBestRaw?.unix?.bulk1).toBeUndefined();
  });

  it('compares AF_UNIX with TCP only when both ran, and skips a failed phase', () => {
    const both = cycles.map((cycle) => ({
      ...cycle,
      'unixipc@tcp': { rps: (cycle['unixipc@unix']?.rps ?? 0) / 2 },
      'raw@tcp': { rps: 100 },
    }));
    const out = pairedSummaryOfRun({
      bulk1: { size: MiB, cycles: both },
      bulk4: { error: 'answers stopped' },
    });
    expect(out.bulkUnixOverTcp?.unixipc?.bulk1).toBeCloseTo(2, 6);
    // Over TCP only raw ran as a floor, and zeromq did not run at all.
    expect(out.bulkVsBestRaw?.tcp?.bulk1).toBeCloseTo(4.25, 6);
    expect(out.bulkVsZeromq?.tcp).toBeUndefined();
    expect(out.bulkAbs?.['unixipc@unix']?.bulk4MiBps).toBeUndefined();
  });
});
