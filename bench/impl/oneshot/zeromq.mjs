// One-shot call through zeromq (REQ/REP).
import { writeSync } from 'node:fs';

const t0 = performance.now();
const { Request } = await import('zeromq');
const t1 = performance.now();
const req = new Request({ linger: 0 });
req.connect(JSON.parse(process.argv[2]).rep);
await req.send(Buffer.alloc(64, 0x61));
await req.receive();
req.close();
const t2 = performance.now();
writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
