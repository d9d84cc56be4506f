import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cli, cliJson, killClis, startCli } from '../cli-helpers.ts';
import { cleanup, exited, killAll, startOptionsServer, tempDir } from '../helpers.ts';

afterEach(async () => {
  await killClis();
  await killAll();
});
afterAll(cleanup);

describe.each(['unix', 'tcp'] as const)('unixipc serve, call and ping (%s)', (transport) => {
  it('serves the demo methods, says where, and closes on SIGINT leaving no file behind', async () => {
    const path = join(tempDir(), 'demo.sock');
    const server = startCli(['serve', path, '--transport', transport]);
    const listening = await server.waitFor(/^listening on /);
    expect(listening).toMatch(
      transport === 'unix'
        ? new RegExp(`^listening on unix:${path} \\(AF_UNIX\\), pid ${server.proc.pid}$`)
        : new RegExp(
            `^listening on tcp://127\\.0\\.0\\.1:\\d+ \\(TCP, descriptor at the path\\), pid ${server.proc.pid}$`,
          ),
    );
    expect((await cli(['call', path, 'upper', '"hello"'])).stdout).toBe('"HELLO"');
    expect((await cli(['call', path, 'echo', '{"a":[1,2]}'])).stdout).toBe('{"a":[1,2]}');
    const time = JSON.parse((await cli(['call', path, 'time'])).stdout);
    expect(Math.abs(time.epochMs - Date.now())).toBeLessThan(60_000);
    expect((await cli(['call', path, 'count', '{"to":3,"delay":0}'])).stdout).toBe('[1,2,3]');
    // Params from stdin.
    expect((await cli(['call', path, 'sleep', '-'], { input: '{"ms":5}' })).stdout).toBe('{"slept":5}');
    const wrong = await cli(['call', path, 'upper', '42']);
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/^unixipc: ERR_IPC_REMOTE: upper takes a string/);
    const timedOut = await cli(['call', path, 'sleep', '60000', '--timeout', '300']);
    expect(timedOut.exitCode).toBe(1);
    expect(timedOut.stderr).toMatch(/^unixipc: ERR_IPC_TIMEOUT: /);
    // The timed-out sleep was cancelled on the server (its signal fired): nothing is left in
    // flight, so closing does not wait for it (it would, for closeTimeout, 10 s).
    server.proc.kill('SIGINT');
    await exited(server.proc, 5_000);
    expect((await server.proc).exitCode).toBe(0);
    expect(server.lines).toContain('closed');
    expect(existsSync(path)).toBe(false);
  });

  it('streams items one JSON per line as they come, and Ctrl-C cancels the stream', async () => {
    const path = join(tempDir(), 'demo.sock');
    const server = startCli(['serve', path, '--transport', transport, '--quiet']);
    await server.waitFor(/^listening on /);
    const stream = startCli(['call', path, 'count', '{"from":5,"to":7,"delay":400}', '--stream']);
    // The first item is printed while the stream is still running: as it comes, not at the end.
    await stream.waitFor(/^5$/);
    expect(stream.proc.exitCode).toBeNull();
    expect((await stream.proc).exitCode).toBe(0);
    expect(stream.lines).toEqual(['5', '6', '7']);
    const endless = startCli(['call', path, 'count', '{"to":1000000,"delay":50}', '--stream']);
    await endless.waitFor(/^2$/);
    endless.proc.kill('SIGINT');
    expect((await endless.proc).exitCode).toBe(130);
    // The server is still well, and can stop.
    expect((await cli(['call', path, 'echo', '1'])).stdout).toBe('1');
    server.proc.kill('SIGTERM');
    expect((await server.proc).exitCode).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it("pings: the server's hello, its methods and each round trip", async () => {
    const path = join(tempDir(), 'demo.sock');
    const server = startCli(['serve', path, '--transport', transport, '--name', 'pinged']);
    await server.waitFor(/^listening on /);
    const ping = await cli(['ping', path, '-c', '3', '-i', '0']);
    expect(ping.exitCode).toBe(0);
    expect(ping.stdout).toMatch(
      new RegExp(
        `^PING ${path} \\(${transport === 'unix' ? 'AF_UNIX' : 'TCP'}\\): "pinged" \\d+\\.\\d+\\.\\d+, pid ${server.proc.pid}, protocol 1$`,
        'm',
      ),
    );
    expect(ping.stdout).toMatch(/^ {2}methods: count \(stream\), echo, sleep, time, upper$/m);
    expect(ping.stdout.match(/^seq=\d time=\d+\.\d+ ms$/gm)).toHaveLength(3);
    expect(ping.stdout).toMatch(/3 pings, 3 answered, min /);
    const { exitCode, json } = await cliJson(['ping', path, '-c', '2', '-i', '0']);
    expect(exitCode).toBe(0);
    expect(json.server).toMatchObject({ name: 'pinged', pid: server.proc.pid, protocol: 1 });
    expect(json.transport).toBe(transport);
    expect(json.methods).toContainEqual({ name: 'count', stream: true });
    expect(json.pings).toHaveLength(2);
    for (const ms of json.pings) expect(ms).toBeGreaterThan(0);
    expect(json.lost).toBe(0);
  });
});

describe('unixipc ping, against other servers', () => {
  it('shows a server without a name, and fails with the code when nothing answers', async () => {
    const path = join(tempDir(), 'anon.sock');
    const server = await startOptionsServer(path);
    const ping = await cli(['ping', path, '-c', '1']);
    expect(ping.exitCode).toBe(0);
    expect(ping.stdout).toMatch(new RegExp(`unnamed server, pid ${server.proc.pid}, protocol 1$`, 'm'));
    server.proc.kill('SIGKILL');
    await exited(server.proc);
    const dead = await cli(['ping', path]);
    expect(dead.exitCode).toBe(1);
    expect(dead.stderr).toMatch(/^unixipc: ERR_IPC_CONNECT: .*connection refused/);
  });

  it('counts a ping that gets no answer as lost (exit status 1)', async () => {
    const path = join(tempDir(), 'stopped.sock');
    const server = await startOptionsServer(path);
    // Between the pings (1.5 s apart) the server is stopped: the second gets no PONG.
    const ping = startCli(['ping', path, '-c', '2', '-i', '1500', '--timeout', '400']);
    await ping.waitFor(/^seq=1 /);
    server.proc.kill('SIGSTOP');
    const result = await ping.proc;
    server.proc.kill('SIGCONT');
    expect(result.exitCode).toBe(1);
    expect(ping.lines).toContain('seq=2 ERR_IPC_TIMEOUT: no answer to a ping within 400 ms');
    expect(ping.lines.at(-1)).toMatch(/2 pings, 1 answered/);
  });
});
