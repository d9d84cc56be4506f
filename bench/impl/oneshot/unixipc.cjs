// One-shot CLI call through unixipc as its docs suggest for one, as a CommonJS script: require unixipc/call, call(), exit.
const { writeSync } = require('node:fs');
const t0 = performance.now();
const { call } = require('unixipc/call');
const t1 = performance.now();
call(JSON.parse(process.argv[2]), 'echo', Buffer.alloc(64, 0x61)).then((reply) => {
  if (reply.length !== 64) throw new Error('bad reply');
  const t2 = performance.now();
  writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
});
