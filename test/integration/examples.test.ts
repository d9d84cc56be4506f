// Runs every example's entry script as a user would (after `npx tsup`) and
// checks what it prints, not only that it exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

  describe('daemon-cli', () => {
    const dir = `${examples}daemon-cli/`;

    it('run.mjs: the first call starts kvd, later calls reuse it, watch streams, kill -9 and an upgrade are survived, stop cleans up', async () => {
      const before = tempDirs();
      const result = await execa('node', [`${dir}run.mjs`], { timeout: 90_000, reject: false });
      const out = result.stdout;
      const pids = [...out.matchAll(/ pid (\d+) /g)].map((m) => Number(m[1]));
      try {
        expect(result.stderr).toBe('');
        expect(result.exitCode, out).toBe(0);
        // 1: nothing runs until the first call; status and stop never start a daemon.
        expect(out).toMatch(
          /== 1\. .*\n\$ kv status\n {2}kv: ERR_IPC_CONNECT: cannot connect to \S+\/kvd\.sock: no such file/,
        );
        // kv status, after each step: the daemon's version and pid from its hello.
        const statuses = [...out.matchAll(/^ {2}kvd (\S+) pid (\d+) at unix:\S+\/kvd\.sock$/gm)].map(
          (m): [string, number] => [m[1]!, Number(m[2])],
        );
        expect(statuses).toHaveLength(4);
        type Seen = [version: string, pid: number];
        const [first, reused, afterKill, upgraded] = statuses as [Seen, Seen, Seen, Seen];
        expect(first[0]).toBe('1.0.0');
        expect(reused).toEqual(first); // 2: the same daemon answers later calls
        expect(out).toContain(`same daemon (pid ${first[1]})`);
        expect(afterKill[0]).toBe('1.0.0'); // 5: a new daemon after kill -9
        expect(afterKill[1]).not.toBe(first[1]);
        expect(upgraded[0]).toBe('2.0.0'); // 6: the upgraded CLI's daemon replaced the old one
        expect(new Set([first[1], afterKill[1], upgraded[1]]).size).toBe(3);
        expect(out).toContain(`$ kv get greeting\n  hello\n`);
        // 3: structured errors, printed with their code and data.
        expect(out).toContain(
          '$ kv get nope\n  kv: ERR_IPC_REMOTE KV_NOT_FOUND: no such key: nope {"key":"nope"}\n',
        );
        expect(out).toContain(
          `$ kv set '' x\n  kv: ERR_IPC_BAD_PARAMS: bad params for "set" at key: a key cannot be empty {"issues":[{"message":"a key cannot be empty","path":["key"]}]}\n`,
        );
        expect(out).toMatch(
          /\$ kv set lonely\n {2}kv: ERR_IPC_BAD_PARAMS: bad params for "set" at value: .*"path":\["value"\]/,
        );
        // 4-6: everything the watch printed, in order: what was there, the changes under its prefix
        // only, and across the kill -9 and the upgrade, the daemon it follows.
        expect([...out.matchAll(/^ {2}watch \| (.*)$/gm)].map((m) => m[1])).toEqual([
          'user.alice = 1',
          'user.bob = 2',
          'user.alice deleted',
          `kv: watching kvd 1.0.0 pid ${afterKill[1]}`,
          'user.carol = 3',
          `kv: watching kvd 2.0.0 pid ${upgraded[1]}`,
          'user.dave = 4',
        ]);
        expect(out).toContain('$ kv keys\n  greeting\n  other\n  user.bob\n');
        expect(out).toContain(`$ kill -9 ${first[1]}\nkvd.sock is still a socket: stale`);
        expect(out).toContain(
          `the 1.0.0 daemon (pid ${afterKill[1]}) was asked to shut down ($shutdown) and has exited`,
        );
        // 7: kv stop returns once the socket is gone; the daemon exits; the watch ends by Ctrl-C.
        expect(out).toContain('$ kv stop\nkvd.sock is now gone');
        expect(out).toContain(`pid ${upgraded[1]} has exited`);
        expect(out).toContain('the watch ended by SIGINT');
        // 8: one line per daemon in the log, and nothing else left in the directory.
        expect(
          [...out.matchAll(/^ {2}kvd (\S+) pid (\d+) serving unix:/gm)].map((m) => [m[1], Number(m[2])]),
        ).toEqual([first, afterKill, upgraded]);
        expect(out).toMatch(/^in \S+: kvd\.sock\.log$/m);
        const leftover = [...tempDirs()].filter(
          (name) => name.startsWith('unixipc-daemon-cli-') && !before.has(name),
        );
        expect(leftover).toEqual([]);
        for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
      } finally {
        killAll(pids);
      }
    }, 120_000);

    it('ten kv calls started at once with no daemon start exactly one, and every call lands', async () => {
      const kvDir = mkdtempSync(join(tmpdir(), 'unixipc-kvtest-'));
      const env = { KV_DIR: kvDir, KV_VERSION: '1.0.0' };
      const kv = (...args: string[]) =>
        execa('node', [`${dir}kv.mjs`, ...args], { env, timeout: 30_000, reject: false });
      try {
        const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => kv('set', `k${i}`, `v${i}`)));
        expect(runs.map((r) => [r.exitCode, r.stderr])).toEqual(runs.map(() => [0, '']));
        const log = readFileSync(join(kvDir, 'kvd.sock.log'), 'utf8');
        expect(log.match(/ serving /g)).toHaveLength(1);
        expect((await kv('keys')).stdout.split('\n')).toEqual(
          Array.from({ length: 10 }, (_, i) => `k${i}`).sort(),
        );
        expect((await kv('stop')).exitCode).toBe(0);
        expect(existsSync(join(kvDir, 'kvd.sock'))).toBe(false);
      } finally {
        const log = existsSync(join(kvDir, 'kvd.sock.log'))
          ? readFileSync(join(kvDir, 'kvd.sock.log'), 'utf8')
          : '';
        killAll([...log.matchAll(/ pid (\d+) /g)].map((m) => Number(m[1])));
        rmSync(kvDir, { recursive: true, force: true });
      }
    }, 60_000);

    it('the contract types both sides: kv.mjs and kvd.mjs compile under checkJs, and misuses do not', async () => {
      // kv-misuse.mjs holds a @ts-expect-error above each misuse: all must fail, or tsc reports the directive.
      const misuse = fileURLToPath(new URL('../types/fixtures/kv-misuse.mjs', import.meta.url));
      const files = ['kv.mjs', 'kvd.mjs', 'contract.mjs'].map((f) => `${dir}${f}`);
      const tsc = fileURLToPath(new URL('../../node_modules/typescript/lib/tsc.js', import.meta.url));
      const flags = [
        '--noEmit',
        '--allowJs',
        '--checkJs',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
      ];
      const options = [
        '--target',
        'es2022',
        '--lib',
        'es2023',
        '--skipLibCheck',
        '--types',
        'node',
        '--pretty',
        'false',
      ];
      const run = await execa('node', [tsc, ...flags, ...options, ...files, misuse], {
        reject: false,
        timeout: 120_000,
      });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
    }, 150_000);

    it('daemon and CLI take under 80 lines together, as its README says', () => {
      // Lines that are not blank and not comments (// lines and /* */ blocks: the JSDoc types are counted apart).
      const count = (file: string) => {
        const lines = readFileSync(`${dir}${file}`, 'utf8')
          .split('\n')
          .map((line) => line.trim());
        const code = lines.filter((line) => line !== '' && !/^(\/\/|\/\*|\*)/.test(line)).length;
        const jsdoc = lines.filter((line) => /^(\/\*\*|\*)/.test(line)).length;
        return { code, jsdoc };
      };
      const files = ['kvd.mjs', 'kv.mjs', 'contract.mjs'].map(count);
      const code = files.reduce((sum, f) => sum + f.code, 0);
      const jsdoc = files.reduce((sum, f) => sum + f.jsdoc, 0);
      expect(code).toBeLessThan(80);
      const readme = readFileSync(`${dir}README.md`, 'utf8');
      expect(readme).toContain(`**${code} lines**`);
      expect(readme).toContain(`${jsdoc} lines of JSDoc`);
      const section = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
      expect(section).toContain(
        `take ${code} lines (not blank, not comments; the JSDoc that types them is ${jsdoc} lines more)`,
      );
    });

    it("the README's section shows the example's code as it is", () => {
      const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
      const section = readme.slice(
        readme.indexOf('## Writing a daemon and its CLI'),
        readme.indexOf('## Endpoints'),
      );
      for (const file of ['contract.mjs', 'kvd.mjs', 'kv.mjs']) {
        expect(section).toContain(`\n\`\`\`js\n${readFileSync(`${dir}${file}`, 'utf8').trimEnd()}\n\`\`\`\n`);
      }
    });
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The daemons are detached (not our children): whatever a test leaves running is killed by pid. */
function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
