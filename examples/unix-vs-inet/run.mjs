// AF_UNIX vs AF_INET: the same client code against a socket path, a TCP port,
// and a path whose server fell back to TCP. Prints p50/p99 round-trip times.
// Usage: node examples/unix-vs-inet/run.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'unixipc';
import { start, tempDir } from '../shared/processes.mjs';

const WARMUP = 300;
const ROUND_TRIPS = 600;
const BLOCK = 50;
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = tempDir('inet');

/**
 * Sequential round trips (the latency a CLI talking to its daemon sees), one
 * connection per target. Targets take turns in blocks, so that none gains from
 * going last, when the JIT and the CPU clock have warmed up.
 */
async function measure(targets) {
  const runs = [];
  for (const [label, target] of targets) {
    const client = await connect(target, { timeout: 2_000 });
    runs.push({ label, client, times: [] });
  }
  const payload = { seq: 0, text: 'hello' };
  for (const { client } of runs) for (let i = 0; i < WARMUP; i++) await client.request('ping', payload);
  for (let done = 0; done < ROUND_TRIPS; done += BLOCK) {
    for (const { client, times } of runs) {
      for (let i = done; i < done + BLOCK; i++) {
        payload.seq = i;
        const start = process.hrtime.bigint();
        const echoed = await client.request('ping', payload);
        times.push(Number(process.hrtime.bigint() - start) / 1_000);
        if (echoed.seq !== i) throw new Error(`answer ${echoed.seq} for request ${i}`);
      }
    }
  }
  const results = [];
  for (const { label, client, times } of runs) {
    await client.close();
    times.sort((a, b) => a - b);
    const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    results.push({ label, transport: client.transport, p50: at(0.5), p99: at(0.99) });
  }
  return results;
}

// The server runs in its own process, as a daemon would. Quiet: its one line is
// JSON for this runner to read, not for the reader.
const server = start('server', path.join(here, 'server.mjs'), [dir], { quiet: true });
let failed = false;
try {
  const servers = JSON.parse(await server.waitFor(/^\{/));
  console.log('server endpoints:');
  for (const [name, { endpoint }] of Object.entries(servers)) console.log(`  ${name.padEnd(8)} ${endpoint}`);

  // What sits at the fallback path: a small JSON file, 0600, with the port and a secret token.
  const descriptorPath = servers.fallback.path;
  const descriptor = JSON.parse(fs.readFileSync(descriptorPath, 'utf8'));
  const mode = (fs.statSync(descriptorPath).mode & 0o777).toString(8);
  descriptor.token = `<${descriptor.token.length} chars, hidden>`;
  console.log(
    `descriptor file at ${path.basename(descriptorPath)} (mode ${mode}): ${JSON.stringify(descriptor)}`,
  );

  // The same connect() for all three; only the target differs.
  const targets = [
    ['socket path', servers.unix.path],
    ['tcp://', servers.tcp.endpoint],
    ['path->tcp', servers.fallback.path],
  ];
  console.log(
    `\n${ROUND_TRIPS} sequential round trips each, in turns of ${BLOCK} (after ${WARMUP} to warm up):`,
  );
  console.log(
    `  ${'target'.padEnd(12)} ${'transport'.padEnd(10)} ${'p50 us'.padStart(8)} ${'p99 us'.padStart(8)}`,
  );
  const results = await measure(targets);
  for (const r of results) {
    console.log(
      `  ${r.label.padEnd(12)} ${r.transport.padEnd(10)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)}`,
    );
  }
  const ratio = results[1].p50 / results[0].p50;
  console.log(`\nTCP loopback p50 is ${ratio.toFixed(2)}x the AF_UNIX p50 on this machine (one run: noisy).`);

  server.child.kill('SIGTERM');
  const [code] = await server.closed;
  if (code !== 0) throw new Error(`server exited with code ${code}`);
  const left = fs.readdirSync(dir);
  if (left.length > 0) throw new Error(`files left behind: ${left.join(', ')}`);
  console.log('done: server closed, socket and descriptor files removed');
} catch (error) {
  failed = true;
  console.error(`unix-vs-inet example failed: ${error.message}`);
  server.child.kill('SIGKILL');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
