// Runs every example's entry script as a user would (after `npx tsup`) and
// checks what it prints, not only that it exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

async function run(name: string): Promise<string> {
  const result = await execa('node', [`${examples}${name}/run.mjs`], { timeout: 20_000 });
  expect(result.exitCode).toBe(0);
  expect(result.stderr).toBe('');
  return result.stdout;
}

/** Resolves once what PROC prints from now on matches PATTERN (bounded). */
function waitForOutput(proc: ResultPromise, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no output matching ${pattern}; got:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
  });
}

/** Names of unixipc-* temp directories, to check that an example removed its own. */
function tempDirs(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('unixipc-')));
}

describe('examples', () => {
  it('echo: every line comes back intact, and the socket file is removed', async () => {
    const out = await run('echo');
    expect(out).toMatch(/server\| listening on unix:\//);
    expect(out).toContain('client| sent "" -> got it back');
    expect(out).toContain('client| sent "你好，世界" -> got it back');
    expect(out).toContain('(5000 chars) -> got it back');
    expect(out).toContain('client| 4/4 lines echoed intact');
    expect(out).toContain('socket file is gone');
  });

  it('chat: hello gets hi, and joins and leaves are broadcast', async () => {
    const out = await run('chat');
    expect(out).toMatch(/alice \| server: hi/);
    expect(out).toMatch(/bob {3}\| server: hi/);
    expect(out).toMatch(/alice \| \* bob joined \(online: alice, bob\)/);
    expect(out).toMatch(/alice \| \* bob left/);
    expect(out).toContain('server| bob: hello');
  });

  it('sticky-packets: raw writes glue and split; frames keep the messages apart', async () => {
    const out = await run('sticky-packets');
    expect(out).toContain('server: 1 read(s): "helloworld!"');
    expect(out).toMatch(/server: (\d+) reads of at most/);
    expect(Number(/server: (\d+) reads of at most/.exec(out)?.[1])).toBeGreaterThan(1);
    expect(out).toContain('the decoder gave back 4 messages: "hello", "world", "!", <1048576 bytes>');
    expect(out).toContain('one byte at a time still make 3 messages');
    expect(out).toContain('client: 4 answers: "HELLO", "WORLD", "!", <1048576 bytes>');
  });

  it('unix-vs-inet: the same client code over AF_UNIX, TCP and the TCP fallback', async () => {
    const out = await run('unix-vs-inet');
    expect(out).toMatch(/descriptor file at fallback\.sock \(mode 600\): \{"transport":"tcp"/);
    expect(out).not.toMatch(/"token":"[A-Za-z0-9_-]{20,}"/);
    const rows = [
      ...out.matchAll(/^ {2}(socket path|tcp:\/\/|path->tcp)\s+(unix|tcp)\s+([\d.]+)\s+([\d.]+)$/gm),
    ];
    expect(rows.map((row) => [row[1], row[2]])).toEqual([
      ['socket path', 'unix'],
      ['tcp://', 'tcp'],
      ['path->tcp', 'tcp'],
    ]);
    for (const row of rows) expect(Number(row[4])).toBeGreaterThanOrEqual(Number(row[3]));
    expect(out).toContain('socket and descriptor files removed');
  });

  it('restart: a stale socket is reclaimed; a live one and a regular file are not touched', async () => {
    const before = tempDirs();
    const out = await run('restart');
    expect(out).toContain('naive restart, plain listen() on the path: EADDRINUSE');
    expect(out).toMatch(/client: ERR_IPC_CONNECT: .*connection refused/);
    const pids = [...out.matchAll(/listening on unix:\S+ \(pid (\d+)\)/g)].map((m) => m[1]);
    expect(pids).toHaveLength(2);
    expect(pids[0]).not.toBe(pids[1]);
    expect(out).toMatch(/third \| refused to start: ERR_IPC_ADDR_IN_USE/);
    expect(out).toContain(`whoami still -> pid ${pids[1]}`);
    expect(out).toMatch(/serve\(notes\.txt\): ERR_IPC_PATH_OCCUPIED/);
    expect(out).toContain('notes.txt still holds: "my notes, not a socket\\n"');
    expect(out).toContain('daemon.sock exists: false');
    expect(out).toMatch(/listening on port (\d+) again right away: tcp:\/\/127\.0\.0\.1:\1/);
    const leftover = [...tempDirs()].filter(
      (name) => name.startsWith('unixipc-restart-') && !before.has(name),
    );
    expect(leftover).toEqual([]);
  });

  it('backlog: raw connects overflow with EAGAIN, every unixipc client gets in', async () => {
    const out = await run('backlog');
    // How many raw connects fail depends on how fast the server accepts: only the line is checked.
    expect(out).toMatch(/result: \d+ connected(, \d+ failed with EAGAIN)?\n/);
    expect(out).toMatch(/result: 300 connected and answered in \d+ ms/);
    expect(out).toContain('server| answered 300 hellos; at most 300 clients were connected at once');
  });

  it('udp: lost datagrams are retried, and a retried deposit runs once', async () => {
    const out = await run('udp');
    expect(out).toContain('network: request 2 lost on the way to the server');
    expect(out).toContain('client: no answer to request 3 within 150 ms (try 1)');
    expect(out).toContain('server: request 3 again: resending the answer, not depositing twice');
    expect(out).toContain('final balance 60');
  });

  it('timestamp: two clients at their >> prompts get their own lines back time-stamped', async () => {
    const out = await run('timestamp');
    const stamp = String.raw`\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]: `;
    expect(out).toMatch(new RegExp(`alice \\| >> hello\\nalice \\| ${stamp}hello\\n`));
    expect(out).toMatch(new RegExp(`alice \\| >> the time, please\\nalice \\| ${stamp}the time, please\\n`));
    expect(out).toMatch(
      new RegExp(
        `bob {3}\\| >> hi from bob\\nbob {3}\\| ${stamp}hi from bob\\nbob {3}\\| >> exit\\nbob {3}\\| bye`,
      ),
    );
    expect(out).toContain('alice | >> \nalice | bye');
    expect(out).toContain('server| closed');
  });

  it('timestamp: the >> client driven through its stdin, line by line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unixipc-stamptest-'));
    const socketPath = join(dir, 'stamp.sock');
    const server = execa('node', [`${examples}timestamp/server.mjs`, socketPath], {
      timeout: 20_000,
      reject: false,
    });
    try {
      await waitForOutput(server, /listening on /);
      const client = execa('node', [`${examples}timestamp/client.mjs`, socketPath], { timeout: 20_000 });
      await waitForOutput(client, />> $/);
      client.stdin!.write('first line\n');
      await waitForOutput(client, /\]: first line\n>> $/);
      // A long line comes back whole (the lesson's recv(1024) cut it).
      const long = 'x'.repeat(5000);
      client.stdin!.write(`${long}\n`);
      await waitForOutput(client, new RegExp(`\\]: ${long}\\n>> $`));
      // Two lines at once: answered in order, one prompt each.
      client.stdin!.write('one\ntwo\n');
      await waitForOutput(client, /\]: one\n>> \[[^\n]*\]: two\n>> $/);
      client.stdin!.end('\n'); // an empty line quits
      const result = await client;
      expect(result.exitCode).toBe(0);
      expect(result.stdout.trimEnd().endsWith('bye')).toBe(true);
      expect(result.stdout.match(/>> /g)).toHaveLength(5);
    } finally {
      server.kill('SIGTERM');
      await server;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const straceWorks = spawnSync('strace', ['-f', '-e', 'trace=none', '-o', '/dev/null', 'true']).status === 0;
  it.skipIf(!straceWorks)(
    'syscalls: each API call beside its system calls under strace, AF_UNIX and AF_INET',
    async () => {
      const out = await run('syscalls');
      const [unix, tcp] = out.split(/^== over /m).slice(1);
      expect(unix).toMatch(/^a socket path \(AF_UNIX\)/);
      expect(tcp).toMatch(/^TCP on loopback \(AF_INET\)/);
      // Each API call, then the calls its process made, in the order they happened.
      expect(unix).toMatch(
        /server \| serve\(.*\)\n(server \| {5}.*\n)*server \| {5}socket\(AF_UNIX, SOCK_STREAM[^\n]*\n(server \| {5}.*\n)*server \| {5}bind\(\d+, \{sa_family=AF_UNIX, sun_path="\$DIR\/\.uipc-[^\n]*\n(server \| {5}.*\n)*server \| {5}listen\(\d+, 511\) = 0\n(server \| {5}.*\n)*server \| {5}link\("\$DIR\/\.uipc-\w+", "\$DIR\/app\.sock"\) = 0\n/,
      );
      expect(unix).toMatch(
        /client \| connect\(.*\)\n(client \| {5}.*\n)*client \| {5}socket\(AF_UNIX[^\n]*\n(client \| {5}.*\n)*client \| {5}connect\(\d+, \{sa_family=AF_UNIX, sun_path="\$DIR\/app\.sock"\}/,
      );
      expect(unix).toMatch(/server \| {5}accept4\(\d+, /);
      expect(unix).toMatch(
        /client \| client\.request\('say', 'hello'\)\n(client \| {5}.*\n)*client \| {5}write\(\d+, "[^"]*say\\"hello\\""/,
      );
      expect(unix).toMatch(/server \| {5}unlink\("\$DIR\/app\.sock"\) = 0/);
      expect(unix).toContain('socket families: AF_UNIX\n');
      expect(tcp).toMatch(/server \| {5}socket\(AF_INET, SOCK_STREAM[^\n]*\n/);
      expect(tcp).toMatch(
        /server \| {5}bind\(\d+, \{sa_family=AF_INET, sin_port=htons\(0\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}/,
      );
      expect(tcp).toMatch(/client \| {5}connect\(\d+, \{sa_family=AF_INET, sin_port=htons\(\d+\)/);
      expect(tcp).toMatch(/server \| {5}accept4\(\d+, /);
      expect(tcp).toMatch(/server \| {5}write\(\d+, "[^"]*\\"hi\\"", 16\) = 16/);
      expect(tcp).toContain('socket families: AF_INET\n');
      expect(out).not.toContain('getsockname(1,'); // Node's stdio probes are left out
    },
  );

  it('demo (npm run demo): the CLI calls, a SIGKILL leaves a stale socket, the restart reclaims it', async () => {
    const before = tempDirs();
    const result = await execa('node', [`${examples}demo/demo.mjs`], { timeout: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    expect(out).toContain('$ cli upper "hello from the cli"  ->  "HELLO FROM THE CLI"');
    expect(out).toMatch(/cli add \{"a":2,"b":40\} +-> +42/);
    expect(out).toMatch(/is still a socket file \(stale: nobody listens\)/);
    expect(out).toMatch(/cli status {2}-> {2}ERROR ERR_IPC_CONNECT: /);
    expect(out).toMatch(/cli status {2}-> {2}\{"pid":\d+,"transport":"unix"/);
    expect(out).toMatch(/a second daemon on the live path: ERROR ERR_IPC_ADDR_IN_USE/);
    expect(out).toMatch(/is a regular file \(TCP descriptor\), mode 600/);
    expect(out).toMatch(/same CLI, same path: \$ cli status {2}-> {2}\{"pid":\d+,"transport":"tcp"/);
    expect(out).toMatch(/TCP \/ AF_UNIX: [\d.]+x at p50/);
    expect(out.trimEnd().endsWith('done.')).toBe(true);
    // It removed its own temp directory.
    expect([...tempDirs()].filter((name) => !before.has(name) && name.startsWith('unixipc-demo-'))).toEqual(
      [],
    );
  });
});
