import { connect } from '../client/client.ts';
import { isIpcError } from '../errors.ts';
import { endpointArg, HELP, integer, parse, trustUid, write, writeJson } from './args.ts';
import { formatBytes, formatMillis } from './format.ts';
import { describeServer, methodList, methodsOf } from './hello.ts';

const USAGE = `usage: unixipc ping ENDPOINT [-c N] [-i MS] [options]

Connects, prints the server's hello (name, version, pid, protocol, largest frame) and its methods
when it lists them, then sends protocol PINGs and prints each round trip. Exit status 0 when
every ping was answered.

  -c, --count N       pings to send (default 5)
  -i, --interval MS   pause between pings (default 200)
  --timeout MS        bounds connecting and the hello, and each ping (default 5000)
  --token TOKEN       for a tcp:// endpoint whose server asks for one
  --trust-uid UID     trust a server run by that user
  --json              { endpoint, transport, connectMs, server, methods, pings: [ms...], lost }`;

const OPTIONS = {
  ...HELP,
  count: { type: 'string', short: 'c' },
  interval: { type: 'string', short: 'i' },
  timeout: { type: 'string' },
  token: { type: 'string' },
  'trust-uid': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `unixipc ping ENDPOINT`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { min: 1, max: 1 });
  if (!parsed) return 0;
  const { values } = parsed;
  const target = parsed.positionals[0]!;
  const count = integer(values.count, '--count', 5, { min: 1, max: 1_000_000 });
  const interval = integer(values.interval, '--interval', 200, { max: 3_600_000 });
  const timeout = integer(values.timeout, '--timeout', 5_000, { min: 1 });
  const uid = trustUid(values['trust-uid']);
  const started = performance.now();
  const client = await connect(endpointArg(target), {
    connectTimeout: timeout,
    timeout,
    heartbeatInterval: 0,
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(uid === undefined ? {} : { trustUid: uid }),
  });
  const connectMs = performance.now() - started;
  let lost = 0;
  const pings: number[] = [];
  try {
    const methods = await methodsOf(client, timeout);
    if (!values.json) {
      write(
        `PING ${target} (${client.transport === 'unix' ? 'AF_UNIX' : 'TCP'}): ${describeServer(client.server)}`,
      );
      write(
        `  largest frame ${formatBytes(client.server.maxFrameBytes)}, connect + hello ${formatMillis(connectMs)}`,
      );
      if (methods) write(`  methods: ${methodList(methods)}`);
    }
    for (let seq = 1; seq <= count; seq++) {
      if (seq > 1 && interval > 0) await new Promise((resolve) => setTimeout(resolve, interval));
      try {
        const ms = await client.ping({ timeout });
        pings.push(ms);
        if (!values.json) write(`seq=${seq} time=${formatMillis(ms)}`);
      } catch (error) {
        if (!isIpcError(error) || client.closed) throw error;
        lost++;
        if (!values.json) write(`seq=${seq} ${error.code}: ${error.message}`);
      }
    }
    if (values.json) {
      writeJson({
        endpoint: client.endpoint,
        transport: client.transport,
        connectMs,
        server: client.server,
        methods: methods ?? null,
        pings,
        lost,
      });
    } else {
      write(`--- ${target}: ${count} pings, ${pings.length} answered${summary(pings)}`);
    }
  } finally {
    client.destroy();
  }
  return lost === 0 ? 0 : 1;
}

function summary(times: number[]): string {
  if (times.length === 0) return '';
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return `, min ${formatMillis(sorted[0]!)} / median ${formatMillis(median)} / max ${formatMillis(sorted[sorted.length - 1]!)}`;
}
