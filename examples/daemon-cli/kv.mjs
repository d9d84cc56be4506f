#!/usr/bin/env node
// @ts-check
// kv: the CLI of kvd. The first call starts the daemon; later calls reuse it.
import { connect, connectOrSpawn } from 'unixipc';
import { endpoint, VERSION } from './contract.mjs';

const [command = '', key, value] = process.argv.slice(2);
const daemon = { command: process.execPath, args: [`${import.meta.dirname}/kvd.mjs`] };
/** @type {Record<string, (kv: import('./contract.mjs').KvClient) => unknown>} */
const commands = {
  get: async (kv) => console.log(await kv.request('get', key)),
  set: (kv) => kv.request('set', { key, value }),
  delete: (kv) => kv.request('delete', key),
  keys: async (kv) => {
    for (const k of await kv.request('keys')) console.log(k);
  },
  watch: async (kv) => {
    kv.on('reconnect', () => console.error(`kv: watching kvd ${kv.server.version} pid ${kv.server.pid}`));
    for (;;) {
      try {
        for await (const { key: k, value: v } of kv.stream('watch', key ?? '', { timeout: 0 }))
          console.log(v === undefined ? `${k} deleted` : `${k} = ${v}`);
      } catch (/** @type {any} */ error) {
        if (error.code !== 'ERR_IPC_CLOSED') throw error; // the daemon went away: watch the next one
      }
    }
  },
  status: ({ server, endpoint }) => console.log(`kvd ${server.version} pid ${server.pid} at ${endpoint}`),
  stop: (kv) => kv.request('$shutdown').then(() => new Promise((closed) => kv.once('close', closed))),
};
try {
  if (!Object.hasOwn(commands, command))
    throw new Error(`usage: kv ${Object.keys(commands).join('|')} [KEY [VALUE]]`);
  /** @type {import('./contract.mjs').KvClient} */
  const client = ['status', 'stop'].includes(command)
    ? await connect(endpoint) // never starts a daemon just to stop it
    : await connectOrSpawn(endpoint, { ...daemon, expectVersion: VERSION, reconnect: command === 'watch' });
  await commands[command](client);
  await client.close();
} catch (/** @type {any} */ { code = 'ERR_USAGE', remoteCode, message, data }) {
  console.error(
    `kv: ${code}${remoteCode ? ` ${remoteCode}` : ''}: ${message}${data ? ` ${JSON.stringify(data)}` : ''}`,
  );
  process.exit(1);
}
