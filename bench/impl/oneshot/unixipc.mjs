// One-shot CLI call through unixipc as its docs suggest for one: import unixipc/call, call() (connect, one request, close), exit.
import { writeSync } from 'node:fs';

const t0 = performance.now();
const { call } = await import('unixipc/call');
const t1 = performance.now();
const reply = await call(JSON.parse(process.argv[2]), 'echo', Buffer.alloc(64, 0x61));
if (reply.length !== 64) throw new Error('bad reply');
const t2 = performance.now();
writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
