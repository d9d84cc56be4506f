#!/usr/bin/env node
// The `unixipc` command. This file reads the subcommand's name and nothing else: each subcommand
// is a module loaded on demand (its own chunk in dist/cli/), so `unixipc --version` loads no
// other code and `unixipc call` none of bench, the chart, Server or Client.

const fs = process.getBuiltinModule('node:fs');

interface Subcommand {
  about: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, Subcommand> = {
  call: {
    about: 'make one request and print the result (--stream: items as they come)',
    load: () => import('./call.ts'),
  },
  ping: {
    about: "round-trip times and the server's hello (name, version, pid, methods)",
    load: () => import('./ping.ts'),
  },
  ls: {
    about: 'the sockets and TCP descriptors in a directory: live, stale or unreachable',
    load: () => import('./ls.ts'),
  },
  clean: {
    about: 'remove stale socket files and stale descriptors (never a live one)',
    load: () => import('./clean.ts'),
  },
  doctor: {
    about: 'explain why connecting to an endpoint fails or would fail',
    load: () => import('./doctor.ts'),
  },
  serve: {
    about: 'a demo server (echo, upper, time, sleep, count) to try things',
    load: () => import('./serve.ts'),
  },
  bench: {
    about: 'AF_UNIX against TCP loopback on this machine, with the raw net floor',
    load: () => import('./bench.ts'),
  },
  status: {
    about: 'what is at a socket path: live, stale, occupied or absent',
    load: () => import('./status.ts'),
  },
  path: { about: 'where a service name resolves (resolveSocketPath)', load: () => import('./path.ts') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.about}`);
  return `usage: unixipc <command> [options]     unixipc <command> --help for its options

${lines.join('\n')}

  --version     print the version
ENDPOINT: a socket path, unix:PATH, tcp://HOST:PORT, or name:NAME (a service name).
Exit status: 0 done, 1 failed (the error's code on stderr), 2 bad usage.`;
}

/**
 * Writes straight to fd 1: the first use of process.stdout on a pipe builds a stream over it,
 * which costs a short-lived process more than everything else it does (bench/cli-startup.mjs).
 */
function print(text: string): void {
  try {
    fs.writeSync(1, text);
  } catch {
    process.stdout.write(text); // EAGAIN on a non-blocking pipe: let the stream queue it
  }
}

/** As packageVersion() in version.ts, without loading a second module: --version reads nothing else. */
function version(): string {
  const text = fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    print(`${version()}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h') {
    print(`${usage()}\n`);
    return first === undefined ? 2 : 0;
  }
  if (first === 'help') return main(rest.length > 0 ? [rest[0]!, '--help'] : ['--help']);
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (command === undefined) {
    const error = Object.assign(new Error(`unknown command ${JSON.stringify(first)}\n${usage()}`), {
      code: 'ERR_USAGE',
    });
    throw error;
  }
  return (await command.load()).run(rest);
}

/** Usage errors: ours and those of parseArgs (ERR_PARSE_ARGS_UNKNOWN_OPTION, ...). */
function isUsage(code: string): boolean {
  return code === 'ERR_USAGE' || code.startsWith('ERR_PARSE_ARGS_');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    const code = typeof error?.code === 'string' ? error.code : 'ERR_UNEXPECTED';
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `unixipc: ${code}: ${code === 'ERR_UNEXPECTED' ? `${error?.stack ?? message}` : message}\n`,
    );
    process.exitCode = typeof error?.exitCode === 'number' ? error.exitCode : isUsage(code) ? 2 : 1;
  },
);
