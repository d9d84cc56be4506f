// @ts-check
// kvd: a key-value daemon. kv.mjs starts it (connectOrSpawn) when none answers; it runs until
// `kv stop`, a kv of another version replacing it, or a signal.
import { EventEmitter, on } from 'node:events';
import { serve } from 'unixipc';
import { z } from 'zod';
import { endpoint, VERSION } from './contract.mjs';

const store = new Map();
const changes = new EventEmitter().setMaxListeners(0);
const Key = z.string().min(1, 'a key cannot be empty');
/** KEY set to VALUE, or deleted (no value); watchers hear of it. @param {string} key @param {string} [value] */
function change(key, value) {
  if (value !== undefined) store.set(key, value);
  else if (!store.delete(key)) notFound(key);
  changes.emit('change', { key, value });
}
/** A structured error: kv gets its code and data. @param {string} key @returns {never} */
function notFound(key) {
  throw Object.assign(new Error(`no such key: ${key}`), { code: 'KV_NOT_FOUND', data: { key } });
}

/** @type {import('unixipc').Server<import('./contract.mjs').KvApi>} */
const server = await serve(endpoint, {
  name: 'kvd',
  version: VERSION,
  allowShutdown: true, // kv stop, and a kv of another version replacing this daemon
  schemas: { get: Key, delete: Key, set: z.object({ key: Key, value: z.string() }), watch: z.string() },
  handlers: {
    get: (key) => (store.has(key) ? store.get(key) : notFound(key)),
    set: ({ key, value }) => change(key, value),
    delete: (key) => change(key),
    keys: () => [...store.keys()].sort(),
    async *watch(prefix, ctx) {
      const live = on(changes, 'change', { signal: ctx.signal }); // subscribed now: nothing is missed
      for (const [key, value] of [...store]) if (key.startsWith(prefix)) yield { key, value };
      for await (const [c] of live) if (c.key.startsWith(prefix)) yield c;
    },
  },
});
console.log(`kvd ${VERSION} pid ${process.pid} serving ${server.endpoint}`);
