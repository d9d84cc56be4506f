import type { Config } from './types.ts';

export type Log = (...args: unknown[]) => void;

/**
 * node-ipc's `ipc.log`: nothing when `config.silent`; otherwise objects go
 * through util.inspect (`logDepth`, `logInColor`), everything is joined by
 * spaces and handed to `config.logger` (console.log unless replaced). The
 * library's own lines go through it too, as node-ipc's do, and nothing else
 * it does prints: `silent: true` leaves the process's output alone.
 */
export function log(config: Config, args: unknown[]): void {
  if (config.silent) return;
  const parts = args.map((arg) =>
    typeof arg === 'object' && arg !== null
      ? process
          .getBuiltinModule('node:util')
          .inspect(arg, { depth: config.logDepth, colors: config.logInColor })
      : String(arg),
  );
  config.logger(parts.join(' '));
}
