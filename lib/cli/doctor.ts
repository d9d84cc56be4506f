import { connect } from '../client/client.ts';
import { type Endpoint, parseEndpoint } from '../endpoint.ts';
import { isIpcError } from '../errors.ts';
import { isAbstract } from '../transport/socket-path.ts';
import { trustedUids } from '../transport/trust.ts';
import { endpointArg, HELP, integer, parse, trustUid, write, writeJson } from './args.ts';
import { diagnosePath, type Finding, type PathFacts } from './diagnose.ts';
import { formatMillis } from './format.ts';
import { describeServer, methodList, methodsOf } from './hello.ts';

const USAGE = `usage: unixipc doctor ENDPOINT [options]

Explains why connecting to ENDPOINT fails or would fail, and what to do: nothing there (and
similar names nearby), a stale socket, permissions (owner, group and mode of the socket and of
the directory that blocks), a path over the sun_path limit, something that is not a socket, an
owner the client does not trust, a TCP descriptor whose server is gone, or a server that accepts
connections but does not answer the hello in time. Then it connects, as a client would.
Exit status 0 when the connection works. Nothing is changed.

  --timeout MS      for the connect and the hello (default 2000)
  --token TOKEN     for a tcp:// endpoint whose server asks for one
  --trust-uid UID   trust servers run by that user
  --json            { endpoint, path, ok, error?, server?, methods?, findings: [{ level, id,
                    message, fix?, details? }] }`;

const OPTIONS = {
  ...HELP,
  timeout: { type: 'string' },
  token: { type: 'string' },
  'trust-uid': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `unixipc doctor ENDPOINT`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parse(argv, OPTIONS, USAGE, { min: 1, max: 1 });
  if (!parsed) return 0;
  const { values } = parsed;
  const given = parsed.positionals[0]!;
  const timeout = integer(values.timeout, '--timeout', 2_000, { min: 1 });
  const uid = trustUid(values['trust-uid']);
  const report: Record<string, unknown> = { endpoint: given };
  const findings: Finding[] = [];
  let endpoint: Endpoint;
  try {
    endpoint = parseEndpoint(endpointArg(given));
  } catch (error) {
    if (!isIpcError(error)) throw error;
    findings.push({
      level: 'problem',
      id: 'bad-endpoint',
      message: error.message,
      fix: 'write a socket path, unix:PATH, tcp://HOST:PORT or name:NAME',
    });
    return finish(
      { ...report, ok: false, error: { code: error.code, message: error.message } },
      findings,
      values.json,
    );
  }
  let facts: PathFacts = { findings: [] };
  if (endpoint.kind === 'path' && !isAbstract(endpoint.path) && process.platform !== 'win32') {
    report.path = endpoint.path;
    facts = await diagnosePath(endpoint.path, trustedUids(uid));
    findings.push(...facts.findings);
  }
  const started = performance.now();
  try {
    if (endpoint.kind === 'fd') throw new TypeError('doctor takes a socket path or a tcp:// endpoint');
    const client = await connect(endpoint.kind === 'tcp' ? endpoint : { path: endpoint.path }, {
      connectTimeout: timeout,
      timeout,
      heartbeatInterval: 0,
      ...(values.token === undefined ? {} : { token: values.token }),
      ...(uid === undefined ? {} : { trustUid: uid }),
    });
    const ms = performance.now() - started;
    try {
      const methods = await methodsOf(client, timeout);
      findings.push({
        level: 'ok',
        id: 'live',
        message: `a server answers over ${client.transport === 'unix' ? 'AF_UNIX' : 'TCP'}: ${describeServer(client.server)}; connect + hello ${formatMillis(ms)}`,
        details: [
          `methods: ${methods === undefined ? 'not listed (a server older than $methods)' : methodList(methods)}`,
        ],
      });
      return finish(
        { ...report, ok: true, server: client.server, methods: methods ?? null },
        findings,
        values.json,
      );
    } finally {
      client.destroy();
    }
  } catch (error) {
    if (!isIpcError(error)) throw error;
    const finding = explain(error, facts, findings, timeout);
    if (finding) findings.push(finding);
    return finish(
      { ...report, ok: false, error: { code: error.code, message: error.message } },
      findings,
      values.json,
    );
  }
}

/** The finding a failed connect adds to what the path showed (undefined when that already explains it). */
function explain(
  error: { code: string; message: string },
  facts: PathFacts,
  findings: Finding[],
  timeout: number,
): Finding | undefined {
  const explained = findings.some((f) => f.level === 'problem');
  switch (error.code) {
    case 'ERR_IPC_CONNECT':
      // Something took the connection (the probe got through), but no hello came back.
      if (facts.state?.state === 'live' && !explained) {
        return {
          level: 'problem',
          id: 'no-hello',
          message: `something accepts connections there but did not answer a unixipc hello within ${timeout} ms (${error.message})`,
          fix:
            'another program may be listening there (ss -xlp or lsof shows which), or a unixipc server whose event loop is ' +
            'blocked (a long synchronous handler, SIGSTOP, a debugger): restart it; --timeout MS waits longer',
        };
      }
      break;
    case 'ERR_IPC_BAD_FRAME':
    case 'ERR_IPC_FRAME_TOO_LARGE':
      return {
        level: 'problem',
        id: 'foreign-protocol',
        message: `the server there does not speak the unixipc protocol: ${error.message}`,
        fix: 'this endpoint belongs to another program: use the right path',
      };
    case 'ERR_IPC_VERSION':
      return {
        level: 'problem',
        id: 'protocol-version',
        message: error.message,
        fix: 'use a client and server of the same protocol version',
      };
    case 'ERR_IPC_AUTH':
      return {
        level: 'problem',
        id: 'auth',
        message: `the server refused the hello: ${error.message}`,
        fix: 'a tcp:// server with a token: pass it with --token',
      };
    case 'ERR_IPC_UNTRUSTED':
      if (findings.some((f) => f.id.startsWith('untrusted') || f.id.startsWith('descriptor-')))
        return undefined;
      return {
        level: 'problem',
        id: 'untrusted',
        message: error.message,
        fix: '--trust-uid UID if you trust that user',
      };
  }
  if (explained) return undefined;
  return { level: 'problem', id: 'connect-failed', message: `${error.code}: ${error.message}` };
}

const MARK = { ok: 'ok     ', note: 'note   ', problem: 'problem' } as const;

function finish(report: Record<string, unknown>, findings: Finding[], json: boolean | undefined): number {
  const ok = report.ok === true;
  if (json) {
    writeJson({ ...report, findings });
    return ok ? 0 : 1;
  }
  write(
    `unixipc doctor ${report.endpoint}${report.path && report.path !== report.endpoint ? ` (${report.path})` : ''}`,
  );
  for (const f of findings) {
    write(`${MARK[f.level]}  ${f.message}`);
    for (const line of f.details ?? []) write(`         ${line}`);
    if (f.fix) write(`         fix: ${f.fix}`);
  }
  const error = report.error as { code: string; message: string } | undefined;
  write(ok ? 'verdict: connecting works' : `verdict: connecting fails with ${error?.code}`);
  return ok ? 0 : 1;
}
