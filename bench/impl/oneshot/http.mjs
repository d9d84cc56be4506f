// One-shot call through node:http (no agent: one request, then the socket closes).
import { writeSync } from 'node:fs';

const t0 = performance.now();
const { request } = await import('node:http');
const t1 = performance.now();
const address = JSON.parse(process.argv[2]);
const base = address.path ? { socketPath: address.path } : { host: address.host, port: address.port };
await new Promise((resolve, reject) => {
  const req = request({ ...base, agent: false, method: 'POST', path: '/echo' }, (res) => {
    res.resume();
    res.on('end', resolve);
  });
  req.on('error', reject);
  req.end(Buffer.alloc(64, 0x61));
});
const t2 = performance.now();
writeSync(1, `${JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, sinceStartMs: t2 })}\n`);
