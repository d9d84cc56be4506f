// One-shot CLI call through a unixipc Client, as a CommonJS script: require, connect(), request(), close(), exit.
const { writeSync } = require('node:fs');
const t0 = performance.now();
const { connect } = require('unixipc');
const t1 = performance.now();
(async () => {
  const client = await connect(JSON.parse(process.argv[2]));
  const reply = await client.request('echo', Buffer.alloc(64, 0x61));
  await client.close();
  if (reply.length !== 64) throw new Error('bad reply');
  const t2 = performance.now();
  writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
})();
