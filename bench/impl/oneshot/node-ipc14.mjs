// One-shot call through node-ipc 14.
import { writeSync } from 'node:fs';
import { nodeIpcOnce } from './node-ipc-once.mjs';

const t0 = performance.now();
const { IPCModule } = await import('node-ipc14');
const t1 = performance.now();
await nodeIpcOnce(IPCModule, JSON.parse(process.argv[2]));
const t2 = performance.now();
writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
