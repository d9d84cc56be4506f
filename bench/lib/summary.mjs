import { NODE_RAW_VARIANTS } from './config.mjs';
import { median, summarize } from './stats.mjs';

/** What is reported for each phase of workloads A-C. */
export const PHASE_METRICS = {
  seq: ['p50', 'p99', 'p999', 'rps', 'cpuUs'],
  pipe64: ['rps', 'cpuUs'],
  pipe256: ['rps', 'cpuUs'],
  bulk1: ['MiBps', 'cpuUs'],
  bulk4: ['MiBps', 'cpuUs'],
};
const ONESHOT_METRICS = ['overBareMs', 'wallMs', 'bareMs', 'importMs', 'callMs'];
const MEM_METRICS = ['perConnBytes', 'heapPerConnBytes', 'externalPerConnBytes'];
export const RAW_VARIANTS = [...NODE_RAW_VARIANTS, 'c'];

/** Over the cycles of a paired run, the median of A's METRIC over B's (each cycle's windows ran back to back). */
function cycleRatio(cycles, a, b, metric) {
  return median(cycles.map((cycle) => cycle[a]?.[metric] / cycle[b]?.[metric]));
}

/**
 * One paired run (impl/paired.mjs) reduced. Sequential: per transport, unixipc
 * over raw net (`vsRaw`); per implementation, TCP over AF_UNIX (`tcpOverUnix`);
 * each contender's own figures (`abs`, medians of its windows). 256 in flight:
 * unixipc's requests/s over corked raw net's (`pipeVsCorked`), and `pipeAbs`.
 * Bulk (bulk1, bulk4): per transport and phase, unixipc's MiB/s over the best Node
 * raw variant's of this run (`bulkVsBestRaw`: the variant with the highest median
 * over the cycles, compared cycle by cycle) and over zeromq's (`bulkVsZeromq`); per
 * implementation, AF_UNIX's MiB/s over TCP's (`bulkUnixOverTcp`);
 * `bulkAbs`: each contender's MiB/s and page faults per message, its client's
 * (`Faults`) and its server's (`ServerFaults`). A phase that failed (or did not run)
 * adds nothing.
 */
export function pairedSummaryOfRun(results) {
  const out = {
    vsRaw: {},
    tcpOverUnix: {},
    abs: {},
    pipeVsCorked: {},
    pipeAbs: {},
    bulkVsBestRaw: {},
    bulkVsZeromq: {},
    bulkUnixOverTcp: {},
    bulkAbs: {},
  };
  const medians = (cycles, metrics, into) => {
    for (const key of Object.keys(cycles[0] ?? {})) {
      into[key] = {};
      for (const metric of metrics) into[key][metric] = median(cycles.map((cycle) => cycle[key]?.[metric]));
    }
  };
  const transportsOf = (cycles) => [...new Set(Object.keys(cycles[0] ?? {}).map((key) => key.split('@')[1]))];
  const seq = results.seq?.cycles;
  if (seq) {
    const both = (a, b) => ({ p50: cycleRatio(seq, a, b, 'p50'), p99: cycleRatio(seq, a, b, 'p99') });
    const transports = transportsOf(seq);
    for (const t of transports) out.vsRaw[t] = both(`unixipc@${t}`, `raw@${t}`);
    if (transports.includes('unix') && transports.includes('tcp'))
      for (const impl of ['unixipc', 'raw']) out.tcpOverUnix[impl] = both(`${impl}@tcp`, `${impl}@unix`);
    medians(seq, ['p50', 'p99'], out.abs);
  }
  const pipe = results.pipe256?.cycles;
  if (pipe) {
    for (const t of transportsOf(pipe))
      out.pipeVsCorked[t] = { rps: cycleRatio(pipe, `unixipc@${t}`, `raw-cork@${t}`, 'rps') };
    medians(pipe, ['rps'], out.pipeAbs);
  }
  for (const phase of ['bulk1', 'bulk4']) {
    const cycles = results[phase]?.cycles;
    if (!cycles) continue;
    const toMiBps = (results[phase].size ?? 1024 * 1024) / (1024 * 1024);
    const transports = transportsOf(cycles);
    for (const t of transports) {
      const rate = (impl) => median(cycles.map((cycle) => cycle[`${impl}@${t}`]?.rps));
      const raws = NODE_RAW_VARIANTS.filter((impl) => Number.isFinite(rate(impl)));
      if (raws.length > 0) {
        const best = raws.reduce((a, b) => (rate(b) > rate(a) ? b : a));
        slot(out.bulkVsBestRaw, t)[phase] = cycleRatio(cycles, `unixipc@${t}`, `${best}@${t}`, 'rps');
      }
      if (Number.isFinite(rate('zeromq')))
        slot(out.bulkVsZeromq, t)[phase] = cycleRatio(cycles, `unixipc@${t}`, `zeromq@${t}`, 'rps');
    }
    if (transports.length === 2)
      for (const impl of ['unixipc', 'raw'])
        slot(out.bulkUnixOverTcp, impl)[phase] = cycleRatio(cycles, `${impl}@unix`, `${impl}@tcp`, 'rps');
    for (const key of Object.keys(cycles[0] ?? {})) {
      const m = (metric) => median(cycles.map((cycle) => cycle[key]?.[metric]));
      const abs = slot(out.bulkAbs, key);
      abs[`${phase}MiBps`] = m('rps') * toMiBps;
      abs[`${phase}Faults`] = m('faults');
      abs[`${phase}ServerFaults`] = m('serverFaults');
    }
  }
  return out;
}

function slot(root, ...keys) {
  let node = root;
  for (const key of keys) node = node[key] ??= {};
  return node;
}

/** Per-round values grouped, then summarized as median with min-max. */
export function buildSummary(runs) {
  const socket = {};
  const oneshot = {};
  const mem = {};
  const framing = {};
  const paired = {};
  const problems = [];
  const collect = (target, key, value) => {
    if (target[key] === undefined) target[key] = [];
    target[key].push(value);
  };
  for (const run of runs) {
    const where = [run.placement, run.transport, run.impl].filter(Boolean).join(' / ');
    if (run.error) {
      problems.push(`round ${run.round}, ${run.kind} ${where}: ${run.error}`);
      continue;
    }
    if (run.kind === 'socket') {
      for (const [phase, result] of Object.entries(run.results)) {
        if (result.error) {
          problems.push(`round ${run.round}, ${where}, ${phase}: ${result.error}`);
          continue;
        }
        if (result.stalled)
          problems.push(`round ${run.round}, ${where}, ${phase}: answers stopped (stalled)`);
        const node = slot(socket, run.placement, run.transport, run.impl, phase);
        for (const metric of PHASE_METRICS[phase] ?? []) collect(node, metric, result[metric]);
      }
    } else if (run.kind === 'paired') {
      for (const [phase, result] of Object.entries(run.results))
        if (result?.error) problems.push(`round ${run.round}, paired ${where}, ${phase}: ${result.error}`);
      for (const [group, byName] of Object.entries(pairedSummaryOfRun(run.results))) {
        for (const [name, metrics] of Object.entries(byName)) {
          const node = slot(paired, run.placement, group, name);
          for (const [metric, value] of Object.entries(metrics)) collect(node, metric, value);
        }
      }
    } else if (run.kind === 'oneshot') {
      const node = slot(oneshot, run.placement, run.transport, run.impl);
      for (const metric of ONESHOT_METRICS) collect(node, metric, run[metric]);
    } else if (run.kind === 'mem') {
      const node = slot(mem, run.transport, run.impl);
      for (const metric of MEM_METRICS) collect(node, metric, run[metric]);
    } else if (run.kind === 'framing') {
      for (const [metric, value] of Object.entries(run.results)) collect(framing, metric, value);
    }
  }
  const fold = (node, depth) => {
    for (const [key, value] of Object.entries(node)) {
      node[key] = depth === 0 ? { ...summarize(value), rounds: value } : fold(value, depth - 1);
    }
    return node;
  };
  return {
    socket: fold(socket, 4),
    oneshot: fold(oneshot, 3),
    mem: fold(mem, 2),
    framing: fold(framing, 0),
    paired: fold(paired, 3),
    problems,
  };
}

export function get(summary, path) {
  let node = summary;
  for (const key of path) {
    node = node?.[key];
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * unixipc over a reference: the ratio of the medians, and the range of the
 * per-round ratios (rounds are interleaved, so round r of both ran close in time).
 */
export function ratio(a, b) {
  if (!a || !b || !(a.n > 0) || !(b.n > 0)) return undefined;
  const perRound = [];
  for (let i = 0; i < Math.min(a.rounds.length, b.rounds.length); i++) {
    const r = a.rounds[i] / b.rounds[i];
    if (Number.isFinite(r)) perRound.push(r);
  }
  return {
    value: a.median / b.median,
    min: perRound.length ? Math.min(...perRound) : Number.NaN,
    max: perRound.length ? Math.max(...perRound) : Number.NaN,
  };
}

function bestRaw(summary, placement, transport, phase, includeC) {
  let best;
  for (const impl of includeC ? RAW_VARIANTS : NODE_RAW_VARIANTS) {
    const s = get(summary, ['socket', placement, transport, impl, phase, 'MiBps']);
    if (s && s.n > 0 && (!best || s.median > best.stat.median)) best = { impl, stat: s };
  }
  return best;
}

/** Every target of the issue, per placement and transport, with the measured ratio. */
export function evaluateTargets(summary, placements, transports) {
  const out = [];
  const add = (target, placement, transport, measured, limit, better, detail) => {
    if (measured === undefined) return;
    const met = better === 'lower' ? measured.value <= limit : measured.value >= limit;
    out.push({ target, placement, transport, ...measured, limit, better, met, detail });
  };
  for (const transport of transports) {
    for (const placement of placements) {
      const s = (impl, phase, metric) => get(summary, ['socket', placement, transport, impl, phase, metric]);
      const seqLimit = placement === 'same' ? 1.2 : 1.1;
      for (const [metric, limit] of [
        ['p50', seqLimit],
        ['p99', 1.25],
      ]) {
        // Judged by the paired run when there is one; the separate runs' ratio goes alongside.
        const blocks = ratio(s('unixipc', 'seq', metric), s('raw', 'seq', metric));
        const paired = get(summary, ['paired', placement, 'vsRaw', transport, metric]);
        const measured = paired?.n > 0 ? fromPaired(paired) : blocks;
        add(
          `sequential ${metric} vs raw`,
          placement,
          transport,
          measured,
          limit,
          'lower',
          pairedNote(paired, blocks),
        );
      }
      const pipeBlocks = ratio(s('unixipc', 'pipe256', 'rps'), s('raw-cork', 'pipe256', 'rps'));
      const pipePaired = get(summary, ['paired', placement, 'pipeVsCorked', transport, 'rps']);
      add(
        'pipelined 256 vs corked raw',
        placement,
        transport,
        pipePaired?.n > 0 ? fromPaired(pipePaired) : pipeBlocks,
        0.7,
        'higher',
        pairedNote(pipePaired, pipeBlocks),
      );
      for (const phase of ['bulk1', 'bulk4']) {
        const depth = phase.slice(4);
        // Judged by the paired run when there is one (its processes' malloc setting in the
        // report), against the best raw variant of each round; the separate runs' ratio alongside.
        const best = bestRaw(summary, placement, transport, phase, false);
        const rawBlocks = best && ratio(s('unixipc', phase, 'MiBps'), best.stat);
        const rawPaired = get(summary, ['paired', placement, 'bulkVsBestRaw', transport, phase]);
        add(
          `bulk 1 MiB x${depth} vs best raw`,
          placement,
          transport,
          rawPaired?.n > 0 ? fromPaired(rawPaired) : rawBlocks,
          0.9,
          'higher',
          rawPaired?.n > 0
            ? pairedNote(rawPaired, rawBlocks, best && `best in separate runs: ${best.impl}`)
            : best && `best Node raw variant: ${best.impl}`,
        );
        const zmqBlocks = ratio(s('unixipc', phase, 'MiBps'), s('zeromq', phase, 'MiBps'));
        const zmqPaired = get(summary, ['paired', placement, 'bulkVsZeromq', transport, phase]);
        add(
          `bulk 1 MiB x${depth} vs zeromq`,
          placement,
          transport,
          zmqPaired?.n > 0 ? fromPaired(zmqPaired) : zmqBlocks,
          1,
          'higher',
          pairedNote(zmqPaired, zmqBlocks),
        );
      }
      for (const [name, rawName, how] of [
        ['unixipc', 'raw', 'import'],
        ['unixipc-cjs', 'raw-cjs', 'require()'],
      ]) {
        const one = get(summary, ['oneshot', placement, transport, name]);
        const raw = get(summary, ['oneshot', placement, transport, rawName, 'overBareMs']);
        if (one?.overBareMs?.n > 0) {
          add(
            `one-shot over bare node (ms), ${how}`,
            placement,
            transport,
            absolute(one.overBareMs),
            5,
            'lower',
            raw?.n > 0 ? `raw net ${how}: ${raw.median.toFixed(1)} ms over bare` : undefined,
          );
          add(`import time (ms), ${how}`, placement, transport, absolute(one.importMs), 10, 'lower');
        }
      }
    }
    const memory = (impl) => get(summary, ['mem', transport, impl, 'perConnBytes']);
    add(
      'memory per idle connection vs net',
      'cross',
      transport,
      ratio(memory('unixipc'), memory('raw')),
      1.5,
      'lower',
    );
  }
  return out;
}

function pairedNote(paired, blocks, extra) {
  if (!(paired?.n > 0)) return undefined;
  return `paired windows${blocks ? `; separate runs: ${blocks.value.toFixed(2)}x` : ''}${extra ? ` (${extra})` : ''}`;
}

/** A ratio measured paired: the median of the rounds' ratios, with their range. */
function fromPaired(stat) {
  return { value: stat.median, min: stat.min, max: stat.max, paired: true };
}

function absolute(stat) {
  return { value: stat.median, min: stat.min, max: stat.max, absolute: true };
}

/**
 * How much faster AF_UNIX is than TCP, per workload and placement, through
 * unixipc and through raw net: >1 means AF_UNIX is better.
 */
export function unixVsTcp(summary, placements) {
  const rows = [];
  const phases = [
    ['sequential p50', 'seq', 'p50', 'lower'],
    ['sequential p99', 'seq', 'p99', 'lower'],
    ['pipelined 64', 'pipe64', 'rps', 'higher'],
    ['pipelined 256', 'pipe256', 'rps', 'higher'],
    ['bulk 1 MiB x1', 'bulk1', 'MiBps', 'higher'],
    ['bulk 1 MiB x4', 'bulk4', 'MiBps', 'higher'],
  ];
  for (const [label, phase, metric, better] of phases) {
    for (const placement of placements) {
      const row = { workload: label, placement };
      for (const impl of ['unixipc', 'raw']) {
        const paired =
          phase === 'seq'
            ? get(summary, ['paired', placement, 'tcpOverUnix', impl, metric])
            : get(summary, ['paired', placement, 'bulkUnixOverTcp', impl, phase]);
        if (paired?.n > 0) {
          row[impl] = fromPaired(paired);
          continue;
        }
        const unix = get(summary, ['socket', placement, 'unix', impl, phase, metric]);
        const tcp = get(summary, ['socket', placement, 'tcp', impl, phase, metric]);
        row[impl] = better === 'lower' ? ratio(tcp, unix) : ratio(unix, tcp);
      }
      rows.push(row);
    }
  }
  for (const placement of placements) {
    const row = { workload: 'one-shot wall time', placement };
    for (const impl of ['unixipc', 'raw']) {
      const unix = get(summary, ['oneshot', placement, 'unix', impl, 'wallMs']);
      const tcp = get(summary, ['oneshot', placement, 'tcp', impl, 'wallMs']);
      row[impl] = ratio(tcp, unix);
      if (unix && tcp) row[`${impl}DeltaMs`] = tcp.median - unix.median;
    }
    rows.push(row);
  }
  const row = { workload: 'memory per connection', placement: 'cross' };
  for (const impl of ['unixipc', 'raw']) {
    row[impl] = ratio(
      get(summary, ['mem', 'tcp', impl, 'perConnBytes']),
      get(summary, ['mem', 'unix', impl, 'perConnBytes']),
    );
  }
  rows.push(row);
  return rows;
}
