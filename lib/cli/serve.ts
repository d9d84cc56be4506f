import { serve } from '../server/server.ts';
import { endpointArg, HELP, parse, usageError, write } from './args.ts';
import { demoHandlers } from './demo-handlers.ts';
import { packageVersion } from './version.ts';

const DEFAULT_ENDPOINT = 'name:demo';

const USAGE = `usage: unixipc serve [ENDPOINT] [options]

A demo server to try things with: it prints where it listens, logs connections, and on Ctrl-C
(SIGINT) or SIGTERM finishes what is in flight, removes its socket file and exits.
ENDPOINT defaults to ${DEFAULT_ENDPOINT} (/run/user/UID/demo.sock, else in a private directory
under $TMPDIR: \`unixipc path demo\` prints it).

methods:
  echo(x)                          returns x
  upper("text")                    returns "TEXT"
  time()                           { iso, epochMs }: the server's clock
  sleep(ms) or sleep({ ms })       answers after ms; cancelling the request stops it
  count(n) or count({ from, to, delay })   a stream: from..to (1..10), delay ms apart (100)

  --transport auto|unix|tcp   auto (default): AF_UNIX, TCP where AF_UNIX cannot serve the path;
                              tcp: TCP on 127.0.0.1 with a descriptor file at the path
  --name NAME                 the name in the hello (default unixipc-demo)
  --quiet                     no connection log
  --json                      print the listening line as JSON: { endpoint, transport, path, pid }

try:  unixipc serve &   unixipc ping name:demo   unixipc call name:demo count 3 --stream`;

const OPTIONS = {
  ...HELP,
  transport: { type: 'string', default: 'auto' },
  name: { type: 'string', default: 'unixipc-demo' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** `unixipc serve [ENDPOINT]`: runs until SIGINT or SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { max: 1 });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const transport = values.transport;
  if (transport !== 'auto' && transport !== 'unix' && transport !== 'tcp') {
    throw usageError(`--transport must be auto, unix or tcp, not ${JSON.stringify(transport)}`);
  }
  const endpoint = positionals[0] ?? DEFAULT_ENDPOINT;
  const server = await serve(endpointArg(endpoint, true), {
    transport,
    name: values.name,
    version: packageVersion(),
    handlers: demoHandlers,
  });
  const where = server.path ?? server.endpoint;
  if (values.json) {
    write(
      JSON.stringify({
        endpoint: server.endpoint,
        transport: server.transport,
        path: server.path ?? null,
        pid: process.pid,
      }),
    );
  } else {
    const how = server.transport === 'unix' ? 'AF_UNIX' : server.path ? 'TCP, descriptor at the path' : 'TCP';
    write(`listening on ${server.endpoint} (${how}), pid ${process.pid}`);
    write('methods: echo, upper, time, sleep, count (stream)');
    write(`try: unixipc call ${quote(where)} upper '"hello"'    Ctrl-C to stop`);
  }
  if (!values.quiet && !values.json) {
    // Only peers past their hello: a probe (unixipc ls, status) connects and leaves without one.
    const open = new Set<number>();
    server.on('connection', (peer) => {
      open.add(peer.id);
      write(`connection ${peer.id} (${server.connectionCount} open)`);
    });
    server.on('disconnect', (peer, error) => {
      if (!open.delete(peer.id)) return;
      // A client that leaves without waiting for what we were still writing (a timed-out call): not a fault.
      const left = ['EPIPE', 'ECONNRESET'].includes(
        (error?.cause as { code?: string } | undefined)?.code ?? '',
      );
      const why =
        error === undefined ? '' : left ? ' (the client went away)' : ` (${error.code}: ${error.message})`;
      write(`connection ${peer.id} closed${why}`);
    });
  }
  server.on('error', (error) => process.stderr.write(`unixipc serve: ${error.message}\n`));
  return new Promise((resolve) => {
    let closing = false;
    const stop = (signal: NodeJS.Signals) => {
      if (closing) {
        // A second Ctrl-C: stop waiting for what is in flight.
        server.destroy();
        return;
      }
      closing = true;
      if (!values.json) write(`${signal}: closing (finishing requests in flight; Ctrl-C again to drop them)`);
      server.close().then(
        () => {
          if (!values.json) write('closed');
          resolve(0);
        },
        (error) => {
          process.stderr.write(`unixipc serve: ${error.message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
