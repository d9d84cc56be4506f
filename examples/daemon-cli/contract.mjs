// @ts-check
// What kvd serves and kv calls, shared by both: the contract (types only), the version, the endpoint.
import { resolveSocketPath } from 'unixipc';

/**
 * @typedef {{ key: string, value?: string }} Change  a key set to a value, or deleted (no value)
 * @typedef {{
 *   get(key: string): string;
 *   set(entry: { key: string, value: string }): void;
 *   delete(key: string): void;
 *   keys(): string[];
 *   watch(prefix: string): AsyncIterable<Change>;
 *   $shutdown(): string;
 * }} KvApi
 * @typedef {import('unixipc').Client<KvApi>} KvClient
 */

// A real CLI takes its package.json version: installing another one replaces the running daemon.
export const VERSION = process.env.KV_VERSION ?? '1.0.0';
// A real daemon uses { name: 'kvd' } (the user's runtime directory); KV_DIR keeps run.mjs in a temp dir.
export const endpoint = process.env.KV_DIR
  ? resolveSocketPath('kvd', { dir: process.env.KV_DIR })
  : { name: 'kvd' };
