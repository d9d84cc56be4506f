import { call } from '../client/call.ts';
import { endpointArg, HELP, integer, jsonArg, parse, trustUid, write } from './args.ts';

const USAGE = `usage: unixipc call ENDPOINT METHOD [JSON | -] [options]

Makes one request and prints its result as JSON (a Buffer result as base64).
Params are JSON on the command line, or read from stdin with "-".

  --stream          print each item of a streamed result as it arrives, one JSON per line
                    (Ctrl-C cancels the stream on the server)
  --timeout MS      how long the server has to answer, and to connect (default 5000; 0: no limit
                    for the answer)
  --token TOKEN     for a tcp:// endpoint whose server asks for one (paths carry their own)
  --trust-uid UID   trust a server run by that user (a daemon's service account)

examples:
  unixipc call /run/user/1000/app.sock upper '"hello"'
  echo '{"n":3,"delay":10}' | unixipc call name:demo count - --stream`;

const OPTIONS = {
  ...HELP,
  stream: { type: 'boolean' },
  timeout: { type: 'string' },
  token: { type: 'string' },
  'trust-uid': { type: 'string' },
} as const;

/** `unixipc call ENDPOINT METHOD [JSON | -]`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { min: 2, max: 3 });
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [endpoint, method, text] = positionals as [string, string, string | undefined];
  const params = await jsonArg(text, 'params');
  const timeout = integer(values.timeout, '--timeout', 5_000);
  const options = {
    timeout: timeout === 0 ? Number.POSITIVE_INFINITY : timeout,
    connectTimeout: timeout === 0 ? 5_000 : timeout,
    token: values.token,
    trustUid: trustUid(values['trust-uid']),
  };
  if (values.stream) return stream(endpointArg(endpoint), method, params, options);
  const result = await call(endpointArg(endpoint), method, params, options);
  write(show(result));
  return 0;
}

function show(value: unknown): string {
  return Buffer.isBuffer(value) ? JSON.stringify(value.toString('base64')) : JSON.stringify(value ?? null);
}

/** Items as they arrive; SIGINT leaves the loop, which cancels the stream on the server. */
async function stream(
  endpoint: ReturnType<typeof endpointArg>,
  method: string,
  params: unknown,
  options: {
    timeout: number;
    connectTimeout: number;
    token?: string | undefined;
    trustUid?: number | undefined;
  },
): Promise<number> {
  // The long-lived client only here: a plain call stays on the one-shot path.
  const { connect } = await import('../client/client.ts');
  const client = await connect(endpoint, {
    connectTimeout: options.connectTimeout,
    timeout: options.timeout,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.trustUid === undefined ? {} : { trustUid: options.trustUid }),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const items = client.stream(method, params, { signal: stop.signal });
    for await (const item of items) write(show(item));
    return 0;
  } catch (error) {
    if (stop.signal.aborted) return 130;
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client.close();
  }
}
