// Load without loss: a bounded soak. One server process, four client processes with 250
// connections each (1,000 connections open at once), 100,000 echo requests in total with several
// in flight on every connection. Every request must get exactly one correct answer (none lost,
// none duplicated, none crossed with another's), and the server's memory must come back near its
// starting level once the clients have gone. The figures are printed with the test output.

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Client, connect } from '../../lib/index.ts';
import { cleanup, killAll, type LineProcess, spawnLines, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(killAll);
afterAll(cleanup);

const PROCESSES = 4;
const CONNECTIONS_PER_PROCESS = 250;
const IN_FLIGHT_PER_CONNECTION = 4;
const MB = 1024 * 1024;

/**
 * Both transports run the full load: on a 2-core machine each takes about 5-10 s (about 15-25 s for
 * the file). Should a slower machine need it, lower the TCP count here, never the AF_UNIX one.
 */
const RUNS = [
  { transport: 'unix', requests: 100_000 },
  { transport: 'tcp', requests: 100_000 },
] as const;

interface Stats {
  connections: number;
  handled: number;
  rss: number;
  heapUsed: number;
}

interface Result {
  tag: string;
  connections: number;
  sent: number;
  ok: number;
  wrong: number;
  duplicates: number;
  lost: number;
  failed: string[];
  ms: number;
}

const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;

/** Bounded wait for every process to print a line matching PATTERN; returns those lines. */
function allPrint(processes: LineProcess[], pattern: RegExp, timeoutMs: number): Promise<string[]> {
  return Promise.all(
    processes.map(async (p) => {
      const line = await p.waitFor(new RegExp(`${pattern.source}|^ERROR `), timeoutMs);
      if (line.startsWith('ERROR ')) throw new Error(`a soak client failed: ${line}`);
      return line;
    }),
  );
}

describe.each(RUNS)('soak over $transport', ({ transport, requests }) => {
  it(`${PROCESSES * CONNECTIONS_PER_PROCESS} concurrent connections, ${requests} requests: each answered exactly once, correctly, and memory comes back`, async () => {
    const path = join(tempDir('uipc-soak-'), 'soak.sock');
    // helloTimeout as long as the clients' connectTimeout: on a loaded machine, 1,000 TCP clients that
    // each check the port's owner in /proc/net/tcp before their hello took longer than the default
    // 2 s to say it, and were dropped. The hello timeout is not what this test is about.
    const server = await startOptionsServer(path, { transport, backlog: 2048, helloTimeout: 30_000 }, [
      '--expose-gc',
    ]);
    // The observer: its own connection, used only for the server's figures.
    const observer: Client = await connect(path, { timeout: 20_000 });
    const stats = () => observer.request<Stats>('stats');
    try {
      const start = await stats();
      expect(start.connections).toBe(1);
      const perProcess = requests / PROCESSES;
      const clients = Array.from({ length: PROCESSES }, (_, k) =>
        spawnLines('soak-client.mjs', [
          path,
          String(CONNECTIONS_PER_PROCESS),
          String(perProcess),
          String(IN_FLIGHT_PER_CONNECTION),
          `p${k}`,
        ]),
      );
      const connectStarted = Date.now();
      await allPrint(clients, /^CONNECTED /, 30_000);
      const connectMs = Date.now() - connectStarted;
      const connected = await stats();
      expect(connected.connections).toBe(1 + PROCESSES * CONNECTIONS_PER_PROCESS);

      // Load: all four start together; the server is sampled meanwhile for its peak.
      const loadStarted = Date.now();
      for (const client of clients) client.proc.kill('SIGUSR2');
      let done = false;
      let peakRss = connected.rss;
      let peakHeap = connected.heapUsed;
      const sampler = (async () => {
        for (let n = 0; !done && n < 200; n++) {
          await sleep(250); // the sampling period, not a wait for readiness
          if (done) break;
          const s = await stats();
          peakRss = Math.max(peakRss, s.rss);
          peakHeap = Math.max(peakHeap, s.heapUsed);
        }
      })();
      let lines: string[];
      try {
        lines = await allPrint(clients, /^RESULT /, 45_000);
      } finally {
        done = true;
        await sampler;
      }
      const loadMs = Date.now() - loadStarted;
      const results = lines.map((line) => JSON.parse(line.slice('RESULT '.length)) as Result);

      // Still all connected after the load: the peak, with every connection and buffer in place.
      const loaded = await stats();
      expect(loaded.connections).toBe(1 + PROCESSES * CONNECTIONS_PER_PROCESS);
      peakRss = Math.max(peakRss, loaded.rss);
      peakHeap = Math.max(peakHeap, loaded.heapUsed);

      for (const client of clients) client.proc.kill('SIGUSR2');
      await allPrint(clients, /^CLOSED$/, 30_000);
      const exits = await Promise.all(clients.map((client) => client.proc));
      expect(exits.map((e) => e.exitCode)).toEqual(clients.map(() => 0));

      // Every connection gone (the observer's aside), memory back near where it started.
      await expect.poll(async () => (await stats()).connections, { timeout: 10_000, interval: 100 }).toBe(1);
      const end = await stats();

      const total = results.reduce(
        (sum, r) => ({
          sent: sum.sent + r.sent,
          ok: sum.ok + r.ok,
          wrong: sum.wrong + r.wrong,
          duplicates: sum.duplicates + r.duplicates,
          lost: sum.lost + r.lost,
          connections: sum.connections + r.connections,
        }),
        { sent: 0, ok: 0, wrong: 0, duplicates: 0, lost: 0, connections: 0 },
      );
      const slowest = Math.max(...results.map((r) => r.ms));
      console.log(
        `soak ${transport}: ${total.connections} connections (opened in ${connectMs} ms), ` +
          `${total.sent} requests in ${slowest} ms (${Math.round(total.sent / (slowest / 1000))} req/s; ` +
          `${loadMs} ms signal to last result); ok ${total.ok}, wrong ${total.wrong}, ` +
          `duplicated ${total.duplicates}, lost ${total.lost}; server rss start/peak/end ` +
          `${mb(start.rss)} / ${mb(peakRss)} / ${mb(end.rss)}, heap after gc start/peak/end ` +
          `${mb(start.heapUsed)} / ${mb(peakHeap)} / ${mb(end.heapUsed)}`,
      );

      expect(total.connections).toBeGreaterThanOrEqual(1_000);
      expect(total.sent).toBe(requests);
      for (const r of results) expect(r.failed, r.tag).toEqual([]);
      expect(total.wrong).toBe(0);
      expect(total.duplicates).toBe(0);
      expect(total.lost).toBe(0);
      expect(total.ok).toBe(requests);
      // The server ran each exactly once too: its handled count grew by exactly the requests sent.
      expect(end.handled - start.handled).toBe(requests);
      expect(server.proc.exitCode).toBeNull();
      expect(end.heapUsed).toBeLessThan(start.heapUsed + 20 * MB);
      // rss stays above its start (the allocator keeps freed pages), but not by a leak's worth.
      expect(end.rss).toBeLessThan(start.rss + 100 * MB);
    } finally {
      observer.destroy();
    }
  }, 90_000);
});
