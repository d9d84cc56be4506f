// One benchmark server in its own process: `node server.mjs --server NAME --transport unix|tcp --dir DIR`.
// Prints {"ready":true,"address":...} once listening. On stdin, the line `mem` answers with the
// process's memory after a full GC (run it with --expose-gc); stdin closing ends the process.
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    transport: { type: 'string', default: 'unix' },
    dir: { type: 'string' },
    variant: { type: 'string', default: '{}' },
  },
});

const mod = await import(`./servers/${values.server}.mjs`);
const address = await mod.start({
  transport: values.transport,
  dir: values.dir,
  variant: JSON.parse(values.variant),
});
process.stdout.write(`${JSON.stringify({ ready: true, address })}\n`);

async function memory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers, gc: typeof globalThis.gc === 'function' };
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', async (text) => {
  pending += text;
  let newline = pending.indexOf('\n');
  while (newline !== -1) {
    const line = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (line === 'mem') process.stdout.write(`${JSON.stringify({ mem: await memory() })}\n`);
    newline = pending.indexOf('\n');
  }
});
process.stdin.on('end', () => process.exit(0));
