import { NODE_RAW_VARIANTS } from './config.mjs';
import { isEmptyScript } from './impls.mjs';
import { get, RAW_VARIANTS, ratio } from './summary.mjs';

const PLACEMENT_LABEL = { cross: 'different CPUs', same: 'same CPU' };
const TRANSPORT_LABEL = { unix: 'AF_UNIX', tcp: 'TCP loopback' };
const PEERS = ['raw', 'raw-cork', 'c', 'node-ipc10', 'node-ipc14', 'zeromq', 'http'];

const num = (x, digits = 1) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '–';
const kilo = (x) => (Number.isFinite(x) ? (x >= 1e4 ? `${num(x / 1000, 1)}k` : num(x, 0)) : '–');

/** "median (min–max)" across rounds; the range is left out when there was one round. */
function cell(stat, format) {
  if (!stat || !(stat.n > 0)) return '–';
  if (stat.n === 1 || stat.min === stat.max) return format(stat.median);
  return `${format(stat.median)} <sub>${format(stat.min)}–${format(stat.max)}</sub>`;
}

function ratioCell(r, digits = 2) {
  if (!r || !Number.isFinite(r.value)) return '–';
  const range =
    Number.isFinite(r.min) && r.min !== r.max
      ? ` <sub>${num(r.min, digits)}–${num(r.max, digits)}</sub>`
      : '';
  return `${num(r.value, digits)}x${range}`;
}

function table(header, rows, { numeric = true } = {}) {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || !numeric ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

function implLabel(results, name) {
  return results.implementations.find((impl) => impl.name === name)?.label ?? name;
}

function implsWith(results, kind, transport, placements) {
  const names = new Set();
  for (const placement of placements) {
    const node =
      kind === 'mem' ? results.summary.mem?.[transport] : results.summary[kind]?.[placement]?.[transport];
    for (const name of Object.keys(node ?? {})) names.add(name);
  }
  const order = results.implementations.map((impl) => impl.name);
  return [...names].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}

function sequentialSection(results, placements) {
  const out = ['## A. Sequential round trips, 64-byte payload', ''];
  const warm = results.options.plan?.seq?.warmMs;
  out.push(
    `One request at a time on one connection, after ${warm === undefined ? 'a' : `a ${num(warm / 1000, 1)} s`} warm-up on it (steady state: workload D measures the cold path). Latency in microseconds; \`x raw\` is the p50 ratio to the raw floor (lower is better).`,
    '',
  );
  for (const transport of results.options.transports) {
    out.push(`### ${TRANSPORT_LABEL[transport]}`, '');
    const header = ['implementation'];
    for (const p of placements) {
      header.push(`p50 (${PLACEMENT_LABEL[p]})`, 'p99', 'p99.9', 'req/s', 'x raw');
    }
    const rows = [];
    for (const impl of implsWith(results, 'socket', transport, placements)) {
      const row = [implLabel(results, impl)];
      let any = false;
      for (const p of placements) {
        const seq = get(results.summary, ['socket', p, transport, impl, 'seq']);
        if (seq) any = true;
        const raw = get(results.summary, ['socket', p, transport, 'raw', 'seq', 'p50']);
        row.push(
          cell(seq?.p50, (x) => num(x)),
          cell(seq?.p99, (x) => num(x)),
          cell(seq?.p999, (x) => num(x)),
          cell(seq?.rps, kilo),
          ratioCell(ratio(seq?.p50, raw)),
        );
      }
      if (any) rows.push(row);
    }
    out.push(table(header, rows), '');
  }
  const paired = pairedTable(results, placements);
  if (paired) out.push(paired);
  return out.join('\n');
}

/** Workloads A and B measured paired: the figures their targets are judged by. */
function pairedTable(results, placements) {
  const phases = results.options.plan?.paired?.phases ?? {};
  const seqRows = [];
  const pipeRows = [];
  const range = (stat) => ratioCell({ value: stat.median, min: stat.min, max: stat.max });
  for (const placement of placements) {
    for (const transport of results.options.transports) {
      const node = get(results.summary, ['paired', placement]);
      const where = `${PLACEMENT_LABEL[placement]}, ${TRANSPORT_LABEL[transport]}`;
      const abs = (impl, metric) => node?.abs?.[`${impl}@${transport}`]?.[metric];
      const vs = node?.vsRaw?.[transport];
      if (vs) {
        seqRows.push([
          where,
          cell(abs('raw', 'p50'), (x) => num(x)),
          cell(abs('unixipc', 'p50'), (x) => num(x)),
          range(vs.p50),
          cell(abs('raw', 'p99'), (x) => num(x)),
          cell(abs('unixipc', 'p99'), (x) => num(x)),
          range(vs.p99),
        ]);
      }
      const pipe = node?.pipeVsCorked?.[transport];
      if (pipe) {
        const rps = (impl) => node?.pipeAbs?.[`${impl}@${transport}`]?.rps;
        pipeRows.push([where, cell(rps('raw-cork'), kilo), cell(rps('unixipc'), kilo), range(pipe.rps)]);
      }
    }
  }
  if (seqRows.length === 0 && pipeRows.length === 0) return undefined;
  const { seq, pipe256 } = phases;
  const out = [
    '### Paired: unixipc against its raw floor, window by window',
    '',
    `The sequential workload and 256 in flight again, with a raw net server and a unixipc server over each transport and a client process of its own for each of them, all on the client CPU, taking short windows in turn at the harness's word (only one works at a time) (sequential: ${seq ? `${seq.windowMs} ms windows, ${seq.cycles} cycles` : '–'}; 256 in flight, against corked raw net: ${pipe256 ? `${pipe256.windowMs} ms windows, ${pipe256.cycles} cycles` : '–'}; a different order each cycle). Each ratio is the median over the cycles of unixipc's window against raw net's, then the median (and range) of the rounds. On this machine every implementation, the raw floor too, drifts between speed regimes every few hundred ms, so runs seconds apart (the tables above and below) can compare different regimes; windows side by side compare the same one. The sequential and pipelined targets are judged by these ratios.`,
    '',
  ];
  if (seqRows.length > 0) {
    out.push(
      table(
        ['placement, transport', 'raw p50 (µs)', 'unixipc p50', 'x raw', 'raw p99', 'unixipc p99', 'x raw'],
        seqRows,
      ),
      '',
    );
  }
  if (pipeRows.length > 0) {
    out.push(
      table(
        ['placement, transport', 'corked raw, 256 in flight (req/s)', 'unixipc', 'x corked raw'],
        pipeRows,
      ),
      '',
    );
  }
  return out.join('\n');
}

/** Workload C measured paired: the figures the bulk targets are judged by, with page faults per message. */
function pairedBulkTable(results, placements) {
  const rateRows = [];
  const faultRows = [];
  const contenders = [...NODE_RAW_VARIANTS, 'unixipc', 'zeromq'];
  const range = (stat) => ratioCell(stat && { value: stat.median, min: stat.min, max: stat.max });
  for (const placement of placements) {
    const node = get(results.summary, ['paired', placement]);
    for (const transport of results.options.transports) {
      for (const phase of ['bulk1', 'bulk4']) {
        const vsRaw = node?.bulkVsBestRaw?.[transport]?.[phase];
        if (!vsRaw) continue;
        const where = `${PLACEMENT_LABEL[placement]}, ${TRANSPORT_LABEL[transport]}, x${phase.slice(4)}`;
        const abs = (impl, metric) => node?.bulkAbs?.[`${impl}@${transport}`]?.[`${phase}${metric}`];
        rateRows.push([
          where,
          ...contenders.map((impl) => cell(abs(impl, 'MiBps'), (x) => num(x, 0))),
          range(vsRaw),
          range(node?.bulkVsZeromq?.[transport]?.[phase]),
        ]);
        faultRows.push([
          where,
          ...['raw-cork', 'unixipc', 'zeromq'].map((impl) => {
            const client = abs(impl, 'Faults');
            const server = abs(impl, 'ServerFaults');
            return client || server
              ? `${cell(client, (x) => num(x, 0))} / ${cell(server, (x) => num(x, 0))}`
              : '–';
          }),
        ]);
      }
    }
  }
  if (rateRows.length === 0) return undefined;
  const { bulk1 } = results.options.plan?.paired?.phases ?? {};
  const env = Object.entries(results.options.pairedEnv ?? {});
  return [
    '### Paired: bulk, window by window',
    '',
    `The bulk workload again, a server and a client process per contender and transport, taking ${bulk1 ? `${bulk1.windowMs} ms windows in turn, ${bulk1.cycles} cycles` : 'short windows in turn'}, as for workloads A and B, after each has warmed on until its client and server together fault fewer than ${bulk1?.settle?.faults ?? 16} pages per message (a fresh heap grows first). ${
      env.length > 0
        ? `Every process of these jobs ran with ${env.map(([k, v]) => `\`${k}=${v}\``).join(' ')}: glibc then keeps 64 MiB at the top of its heap instead of handing freed memory back to the kernel, which each process otherwise does at times of its own, and every 1 MiB message after that lands on fresh pages at 10-14 µs a page fault here (the tables above ran with glibc's defaults; bench/README.md shows the regimes). `
        : "These jobs ran with glibc's default malloc settings (`--malloc=default`). "
    }\`x best raw\` is unixipc's MiB/s over the best Node raw variant of the round, window by window; the bulk targets are judged by these ratios.`,
    '',
    table(
      [
        'placement, transport, in flight',
        ...contenders.map((impl) => `${implLabel(results, impl)} (MiB/s)`),
        'x best raw',
        'x zeromq',
      ],
      rateRows,
    ),
    '',
    'Page faults per message, client / server (medians of the windows): a fresh 1 MiB costs 256.',
    '',
    table(
      [
        'placement, transport, in flight',
        ...['raw-cork', 'unixipc', 'zeromq'].map((impl) => implLabel(results, impl)),
      ],
      faultRows,
    ),
    '',
  ].join('\n');
}

function throughputSection(results, placements, { title, intro, phases, metric, format, reference }) {
  const out = [`## ${title}`, '', intro, ''];
  for (const transport of results.options.transports) {
    out.push(`### ${TRANSPORT_LABEL[transport]}`, '');
    const header = ['implementation'];
    for (const p of placements) {
      for (const [, label] of phases) header.push(`${label} (${PLACEMENT_LABEL[p]})`);
      header.push(`x ${reference.label}`);
    }
    const rows = [];
    for (const impl of implsWith(results, 'socket', transport, placements)) {
      const row = [implLabel(results, impl)];
      let any = false;
      for (const p of placements) {
        for (const [phase] of phases) {
          const stat = get(results.summary, ['socket', p, transport, impl, phase, metric]);
          if (stat) any = true;
          row.push(cell(stat, format));
        }
        const [phase] = phases[phases.length - 1];
        const own = get(results.summary, ['socket', p, transport, impl, phase, metric]);
        row.push(ratioCell(ratio(own, reference.stat(p, transport, phase))));
      }
      if (any) rows.push(row);
    }
    out.push(table(header, rows), '');
  }
  return out.join('\n');
}

function cpuSection(results, placements) {
  const out = ['### CPU time of the client process per request', ''];
  out.push(
    "User + system CPU microseconds the client process spent per completed request during the measured phase (`process.cpuUsage()`, `getrusage` for C). Unlike latency it does not include waiting for the other process, so it shows a library's own cost on its side of the socket.",
    '',
  );
  const phases = [
    ['seq', 'sequential'],
    ['pipe256', '256 in flight'],
  ];
  const header = ['implementation'];
  for (const transport of results.options.transports) {
    for (const [, label] of phases)
      for (const p of placements)
        header.push(`${label}, ${TRANSPORT_LABEL[transport]} (${PLACEMENT_LABEL[p]})`);
  }
  const names = new Set();
  for (const t of results.options.transports)
    for (const name of implsWith(results, 'socket', t, placements)) names.add(name);
  const rows = [];
  for (const impl of names) {
    const row = [implLabel(results, impl)];
    for (const transport of results.options.transports) {
      for (const [phase] of phases) {
        for (const p of placements)
          row.push(
            cell(get(results.summary, ['socket', p, transport, impl, phase, 'cpuUs']), (x) =>
              num(x, x < 10 ? 2 : 1),
            ),
          );
      }
    }
    rows.push(row);
  }
  out.push(table(header, rows), '');
  return out.join('\n');
}

function bestRawStat(results, placement, transport, phase) {
  let best;
  for (const impl of RAW_VARIANTS.filter((name) => name !== 'c')) {
    const stat = get(results.summary, ['socket', placement, transport, impl, phase, 'MiBps']);
    if (stat?.n > 0 && (!best || stat.median > best.median)) best = stat;
  }
  return best;
}

function oneshotSection(results, placements) {
  const out = ['## D. One-shot CLI call', ''];
  out.push(
    'A fresh `node` process imports the library, connects, makes one 64-byte request and exits. Wall time from spawn to exit, ' +
      `measured in pairs (${results.options?.plan?.oneshot?.pairs ?? 'several'} per round) with a bare \`node -e 0\` run right before or after it (alternating) on the same CPU; ` +
      '`over bare` is the median of the per-pair differences, `over raw net` the difference between that and the raw net ' +
      "one-shot's, written the same way (the same work by hand with `node:net`; wall times alone drift too much between runs). " +
      '`import` is the library import alone, timed inside the process. ' +
      'Each runs as an ES module (`import`) and, where the package allows it, as a CommonJS script (`require()`): an ES module entry ' +
      'costs Node several ms before it runs a line, and importing a CommonJS package from one adds its export scan. ' +
      'The empty-script rows show what loading any `.mjs` or `.cjs` costs over `node -e 0`. ' +
      "unixipc's rows make the call as its README suggests for a one-call CLI, with `call()` from `unixipc/call` " +
      '(the hello and the request in one write); the `connect() + request() + close()` rows go through a `Client`.',
    '',
  );
  const first = results.options.transports[0];
  for (const transport of results.options.transports) {
    out.push(`### ${TRANSPORT_LABEL[transport]}`, '');
    const header = ['implementation'];
    for (const p of placements) {
      header.push(`wall ms (${PLACEMENT_LABEL[p]})`, 'over bare ms', 'over raw net ms', 'import ms');
    }
    const rows = [];
    const names = new Set();
    for (const p of placements) {
      for (const name of Object.keys(results.summary.oneshot?.[p]?.[first] ?? {})) {
        if (isEmptyScript(name)) names.add(name);
      }
    }
    for (const name of implsWith(results, 'oneshot', transport, placements)) names.add(name);
    const bareRow = ['bare `node -e 0` (paired with raw net)'];
    for (const p of placements) {
      const entries = results.summary.oneshot?.[p]?.[transport] ?? {};
      const ref = entries.raw ?? Object.values(entries)[0];
      bareRow.push(
        cell(ref?.bareMs, (x) => num(x)),
        '',
        '',
        '',
      );
    }
    rows.push(bareRow);
    for (const impl of names) {
      const empty = isEmptyScript(impl);
      const shared = empty && transport !== first;
      const row = [shared ? `${implLabel(results, impl)} (as above)` : implLabel(results, impl)];
      const rawName = impl.endsWith('-cjs') ? 'raw-cjs' : 'raw';
      for (const p of placements) {
        const s =
          get(results.summary, ['oneshot', p, transport, impl]) ??
          get(results.summary, ['oneshot', p, first, impl]);
        const raw = get(results.summary, ['oneshot', p, transport, rawName, 'overBareMs']);
        const overRaw =
          !empty && s?.overBareMs?.n > 0 && raw?.n > 0 ? num(s.overBareMs.median - raw.median) : '';
        row.push(
          cell(s?.wallMs, (x) => num(x)),
          cell(s?.overBareMs, (x) => num(x)),
          overRaw,
          empty ? '' : cell(s?.importMs, (x) => num(x)),
        );
      }
      rows.push(row);
    }
    out.push(table(header, rows), '');
  }
  return out.join('\n');
}

function memorySection(results) {
  const out = ['## E. Memory: 1,000 idle connections', ''];
  out.push(
    'Server RSS after a full GC, before and after 1,000 connections that each made one request and stay idle (the server is warmed by one connection first); per-connection cost = growth / 1,000. Memory does not depend on placement: server and client run on different CPUs. `x net` is the ratio to a bare `net` socket (lower is better).',
    '',
  );
  const transports = results.options.transports;
  const header = ['implementation'];
  for (const t of transports) header.push(`KiB/conn (${TRANSPORT_LABEL[t]})`, 'heap KiB/conn', 'x net');
  const names = new Set();
  for (const t of transports) for (const name of implsWith(results, 'mem', t, ['cross'])) names.add(name);
  const rows = [];
  for (const impl of names) {
    const row = [implLabel(results, impl)];
    for (const t of transports) {
      const s = get(results.summary, ['mem', t, impl]);
      const raw = get(results.summary, ['mem', t, 'raw', 'perConnBytes']);
      row.push(
        cell(s?.perConnBytes, (x) => num(x / 1024)),
        cell(s?.heapPerConnBytes, (x) => num(x / 1024)),
        ratioCell(ratio(s?.perConnBytes, raw)),
      );
    }
    rows.push(row);
  }
  out.push(table(header, rows), '');
  return out.join('\n');
}

function peersSection(results, placements) {
  const out = ['## unixipc against the floor and each peer', ''];
  out.push(
    'How many times better unixipc is than each (>1: unixipc is faster or leaner, <1: it is behind). Latencies and memory are compared as other / unixipc, throughputs as unixipc / other; medians of the rounds.',
    '',
  );
  const metrics = [
    ['sequential p50', 'socket', 'seq', 'p50', 'lower'],
    ['sequential p99', 'socket', 'seq', 'p99', 'lower'],
    ['pipelined 64', 'socket', 'pipe64', 'rps', 'higher'],
    ['pipelined 256', 'socket', 'pipe256', 'rps', 'higher'],
    ['bulk 1 MiB x1', 'socket', 'bulk1', 'MiBps', 'higher'],
    ['bulk 1 MiB x4', 'socket', 'bulk4', 'MiBps', 'higher'],
    ['one-shot wall, import', 'oneshot', null, 'wallMs', 'lower'],
    ['one-shot wall, require()', 'oneshot-cjs', null, 'wallMs', 'lower'],
    ['memory per connection', 'mem', null, 'perConnBytes', 'lower'],
  ];
  const peers = PEERS.filter((peer) => results.implementations.some((impl) => impl.name === peer));
  for (const transport of results.options.transports) {
    for (const p of placements) {
      out.push(`### ${TRANSPORT_LABEL[transport]}, ${PLACEMENT_LABEL[p]}`, '');
      const rows = [];
      for (const [label, kind, phase, metric, better] of metrics) {
        if (kind === 'mem' && p !== 'cross') continue;
        const path = (impl) =>
          kind === 'socket'
            ? ['socket', p, transport, impl, phase, metric]
            : kind === 'oneshot'
              ? ['oneshot', p, transport, impl, metric]
              : kind === 'oneshot-cjs'
                ? ['oneshot', p, transport, `${impl}-cjs`, metric]
                : ['mem', transport, impl, metric];
        const own = get(results.summary, path('unixipc'));
        const row = [label];
        for (const peer of peers) {
          const other = get(results.summary, path(peer));
          row.push(ratioCell(better === 'lower' ? ratio(other, own) : ratio(own, other)));
        }
        rows.push(row);
      }
      out.push(table(['metric', ...peers.map((peer) => implLabel(results, peer))], rows), '');
    }
  }
  return out.join('\n');
}

function formatTargetValue(t) {
  if (t.absolute) return `${num(t.value)} ms <sub>${num(t.min)}–${num(t.max)}</sub>`;
  return ratioCell(t);
}

function targetsTable(results) {
  const rows = results.targets.map((t) => [
    t.target,
    PLACEMENT_LABEL[t.placement] ?? t.placement,
    TRANSPORT_LABEL[t.transport],
    formatTargetValue(t),
    `${t.better === 'lower' ? '≤' : '≥'} ${t.absolute ? `${t.limit} ms` : `${t.limit}x`}`,
    t.met ? 'met' : '**not met**',
    t.detail ?? '',
  ]);
  return table(
    ['target', 'placement', 'transport', 'measured (median, per-round range)', 'limit', 'status', 'note'],
    rows,
  );
}

function unixVsTcpTable(results) {
  const rows = results.unixVsTcp.map((row) => [
    row.workload,
    PLACEMENT_LABEL[row.placement] ?? row.placement,
    ratioCell(row.unixipc),
    ratioCell(row.raw),
  ]);
  return table(['workload', 'placement', 'through unixipc', 'through raw net'], rows);
}

function framingSection(results) {
  const f = results.summary.framing ?? {};
  if (Object.keys(f).length === 0) return '';
  const rows = [
    ['FrameDecoder, 64-byte payloads, one buffer', cell(f.decodeWholeFps, kilo), 'frames/s'],
    ['FrameDecoder, 64-byte payloads, 64 KiB reads', cell(f.decodeSplitFps, kilo), 'frames/s'],
    ['FrameDecoder, 64-byte payloads, 1-byte reads', cell(f.decodeOneByteFps, kilo), 'frames/s'],
    ['FrameDecoder, 1 MiB frames, 64 KiB reads', cell(f.decodeBulkMiBps, (x) => num(x, 0)), 'MiB/s'],
    ['encodeFrame, 64-byte payloads', cell(f.encodeFps, kilo), 'frames/s'],
  ];
  return [
    '## Framing hot path',
    '',
    'The decoder and encoder alone, in one process on one CPU (`node bench/framing.mjs`).',
    '',
    table(['case', 'rate', 'unit'], rows),
    '',
  ].join('\n');
}

export function renderMarkdown(results, resultsPath) {
  const m = results.machine;
  const placements = Object.keys(results.options.placements);
  const plan = results.options.plan;
  const bulkSettle = plan?.bulk?.settle;
  const minutes = (results.durationMs / 60000).toFixed(1);
  const lines = [
    '# Benchmarks',
    '',
    `<!-- Generated by bench/run.mjs from ${resultsPath}; do not edit by hand. Regenerate: node bench/report.mjs ${resultsPath} -->`,
    '',
    `Run on ${results.date.slice(0, 10)} with \`${results.command}\` in ${minutes} minutes (${plan.rounds} rounds, implementations interleaved in a different order each round${results.options?.ordering === 'blocks' ? ', in one block per placement and transport' : ''}). ` +
      `Figures are medians of the rounds with the min–max across rounds in small print. Raw data: [\`${resultsPath}\`](${resultsPath}); method: [bench/README.md](bench/README.md); CPU profiles of unixipc under load: \`node bench/profile.mjs\` (written to \`bench/results/profile-*.md\`).`,
    '',
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpuModel}, ${m.cpus} vCPUs${m.virtualization ? ` (${m.virtualization})` : ''}`],
        ['Node', `${m.node} (V8 ${m.v8})`],
        ['Kernel', m.kernel],
        ['C compiler', m.cc ?? 'none'],
        [
          'Load average',
          `${m.loadavgStart.join(' ')} at start, ${m.loadavgEnd.join(' ')} at the end (shared machine)`,
        ],
        [
          'Packages',
          Object.entries(m.packages)
            .map(([name, version]) => `${name} ${version ?? '?'}`)
            .join(', '),
        ],
        [
          'Code',
          `commit ${results.git.commit}${results.git.libDirty ? ' with uncommitted changes in lib/' : ''}${results.build.stale ? ' (dist/ was older than lib/)' : ''}`,
        ],
        [
          'Placements',
          placements
            .map(
              (p) =>
                `${p}: server on CPU ${results.options.placements[p].server}, client on CPU ${results.options.placements[p].client}`,
            )
            .join('; '),
        ],
      ],
      { numeric: false },
    ),
    '',
    "Every cross-CPU wake-up costs tens of microseconds on this machine, so the different-CPU figures hide much of a library's own cost; the same-CPU figures show it.",
    '',
    ...(results.notes.length ? [`Notes: ${results.notes.join('; ')}.`, ''] : []),
    '## Targets',
    '',
    targetsTable(results),
    '',
    '## AF_UNIX against TCP loopback',
    '',
    'How many times faster AF_UNIX is than TCP, for the same code (latency: TCP / AF_UNIX; throughput: AF_UNIX / TCP; one-shot: TCP wall / AF_UNIX wall; memory: TCP / AF_UNIX).',
    '',
    unixVsTcpTable(results),
    '',
    peersSection(results, placements),
    sequentialSection(results, placements),
    throughputSection(results, placements, {
      title: 'B. Pipelined 64-byte requests on one connection',
      intro:
        'Requests per second with 64 and 256 in flight (each answer sends the next request). `x raw corked` compares the 256 column with the corked raw floor.',
      phases: [
        ['pipe64', '64 in flight'],
        ['pipe256', '256 in flight'],
      ],
      metric: 'rps',
      format: kilo,
      reference: {
        label: 'raw corked',
        stat: (p, t, phase) => get(results.summary, ['socket', p, t, 'raw-cork', phase, 'rps']),
      },
    }),
    cpuSection(results, placements),
    throughputSection(results, placements, {
      title: 'C. Bulk: 1 MiB messages echoed',
      intro: `MiB/s of payload echoed (each message crosses twice), with 1 and 4 in flight, in separate runs with glibc's default malloc settings; each process's first bulk phase warms on until its client and server fault fewer than ${bulkSettle?.faults ?? 16} pages per message${bulkSettle ? ` (at most ${bulkSettle.maxMs / 1000} s)` : ''}, and under those defaults may fault again at any time (see the paired table below and bench/README.md). \`x best raw\` compares the 4-in-flight column with the best Node raw variant of that run. node-ipc carries a 1 MiB string (it has no binary payloads).`,
      phases: [
        ['bulk1', '1 in flight'],
        ['bulk4', '4 in flight'],
      ],
      metric: 'MiBps',
      format: (x) => num(x, 0),
      reference: { label: 'best raw', stat: (p, t, phase) => bestRawStat(results, p, t, phase) },
    }),
    pairedBulkTable(results, placements) ?? '',
    oneshotSection(results, placements),
    memorySection(results),
    framingSection(results),
    '## Implementations',
    '',
    table(
      ['name', 'what runs'],
      results.implementations.map((impl) => [`${impl.label} (\`${impl.name}\`)`, impl.note ?? '']),
      { numeric: false },
    ),
    '',
  ];
  if (results.summary.problems.length > 0) {
    lines.push('## Problems seen during the run', '', ...results.summary.problems.map((p) => `- ${p}`), '');
  }
  return `${lines.join('\n')}\n`;
}

/** A short plain-text summary for the terminal. */
export function renderSummary(results) {
  const lines = ['Targets:'];
  for (const t of results.targets) {
    const value = t.absolute ? `${num(t.value)} ms` : `${num(t.value, 2)}x`;
    const limit = `${t.better === 'lower' ? '<=' : '>='} ${t.limit}${t.absolute ? ' ms' : 'x'}`;
    lines.push(
      `  ${t.met ? 'met    ' : 'NOT MET'}  ${t.target.padEnd(36)} ${t.placement.padEnd(5)} ${t.transport.padEnd(4)} ${value.padStart(9)}  (${limit})`,
    );
  }
  lines.push('AF_UNIX vs TCP (x faster):');
  for (const row of results.unixVsTcp) {
    lines.push(
      `  ${row.workload.padEnd(24)} ${row.placement.padEnd(5)} unixipc ${row.unixipc ? num(row.unixipc.value, 2) : '-'}x  raw ${row.raw ? num(row.raw.value, 2) : '-'}x`,
    );
  }
  if (results.summary.problems.length)
    lines.push(`${results.summary.problems.length} problem(s); see the JSON/report`);
  return lines.join('\n');
}
