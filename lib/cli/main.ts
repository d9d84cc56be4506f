#!/usr/bin/env node
import { resolveSocketPath } from '../endpoint.ts';
import { isIpcError } from '../errors.ts';
import { call } from './call.ts';
import { status } from './status.ts';

// Not `import`: an ES module's import of a built-in builds a facade over all its exports (see builtins.ts).
const { parseArgs } = process.getBuiltinModule('node:util');

const USAGE = `usage: unixipc <command> [options]

  call ENDPOINT METHOD [JSON]   make one request and print the JSON result
  status PATH                   what is at a socket path: live, stale, occupied or absent
  path NAME                     where a service name resolves (resolveSocketPath)

options: --timeout MS (default 5000), --token TOKEN (for tcp:// endpoints that ask one)`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      timeout: { type: 'string', default: '5000' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'call':
      return call(rest, { timeout: Number(values.timeout), token: values.token });
    case 'status':
      return status(rest);
    case 'path':
      process.stdout.write(`${resolveSocketPath(rest[0] ?? '')}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `unixipc: ${isIpcError(error) ? `${error.code}: ` : ''}${error?.message ?? error}\n`,
    );
    process.exitCode = isIpcError(error) ? 1 : 2;
  },
);
