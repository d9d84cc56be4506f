// What every subcommand shares: options parsed by node:util's parseArgs, --help, errors that
// carry a code (printed by main.ts as `unixipc: CODE: message`), endpoints as a command line
// writes them, and output on stdout.
import type { ParseArgsConfig } from 'node:util';
import { type EndpointInput, resolveSocketPath } from '../endpoint.ts';

// Not `import`: an ES module's import of a built-in builds a facade over all its exports (builtins.ts).
const { parseArgs } = process.getBuiltinModule('node:util');
const fs = process.getBuiltinModule('node:fs');

type Options = NonNullable<ParseArgsConfig['options']>;

/** An error the command reports with its code; exit status 2 for a usage error, else 1. */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A command line the command cannot take (exit status 2). */
export function usageError(message: string): CliError {
  return new CliError('ERR_USAGE', message, 2);
}

/** Every subcommand's --help. */
export const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses ARGV with OPTIONS (strict: an unknown option is ERR_PARSE_ARGS_UNKNOWN_OPTION).
 * Returns undefined after printing HELP when --help was given.
 */
export function parse<const O extends Options>(
  argv: string[],
  options: O,
  help: string,
  positionals: { min?: number; max?: number } = {},
) {
  const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  if ((parsed.values as { help?: boolean }).help) {
    write(help);
    return undefined;
  }
  const count = parsed.positionals.length;
  const usage = help.split('\n')[0];
  if (count < (positionals.min ?? 0)) throw usageError(`missing arguments: ${usage}`);
  if (count > (positionals.max ?? Number.POSITIVE_INFINITY)) {
    throw usageError(`unexpected argument ${JSON.stringify(parsed.positionals[count - 1])}: ${usage}`);
  }
  return parsed;
}

/** An integer option (or positional) within bounds; VALUE undefined gives FALLBACK. */
export function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  const min = bounds.min ?? 0;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw usageError(`${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** A uid for --trust-uid, or undefined. */
export function trustUid(value: string | undefined): number | undefined {
  return value === undefined ? undefined : integer(value, '--trust-uid', 0, { max: 2 ** 32 - 2 });
}

/**
 * An endpoint as the command line writes it: a path, unix:PATH, tcp://HOST:PORT, or
 * name:NAME for a service name (resolveSocketPath, as `{ name }` in code). Only a server
 * creates the private directory a name may resolve into: a client, or doctor, changes nothing.
 */
export function endpointArg(text: string, serving = false): EndpointInput {
  if (!text.startsWith('name:')) return text;
  const name = text.slice('name:'.length);
  return serving ? { name } : { path: resolveSocketPath(name, { create: false }) };
}

/** JSON given on the command line, or `-` for stdin (empty stdin: no params). */
export async function jsonArg(text: string | undefined, what: string): Promise<unknown> {
  if (text === undefined) return undefined;
  const source = text === '-' ? await readStdin() : text;
  if (text === '-' && source.trim() === '') return undefined;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw usageError(
      `${what} must be JSON${text === '-' ? ' (read from stdin)' : ''}: ${(error as Error).message}`,
    );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let stream = false;

/**
 * A line (or lines) on stdout. Written straight to fd 1 where it can be: the first use of
 * process.stdout on a pipe builds a stream over it, which costs a one-shot `unixipc call` more
 * than its round trip (bench/cli-startup.mjs). A non-blocking stdout (EAGAIN) goes through the
 * stream from then on, so that lines keep their order.
 */
export function write(text: string): void {
  const bytes = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
  let offset = 0;
  while (!stream && offset < bytes.length) {
    try {
      offset += fs.writeSync(1, bytes, offset);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EPIPE') return; // the reader left (| head): nothing more to say
      if (code !== 'EAGAIN') throw error;
      stream = true;
    }
  }
  if (offset < bytes.length) process.stdout.write(bytes.subarray(offset));
}

/** Data for --json: indented, one document. */
export function writeJson(value: unknown): void {
  write(JSON.stringify(value, null, 2));
}
