// node-ipc's API as unixipc/node-ipc gives it: config, logging, TCP, raw buffers, sync mode,
// retries, the server's emit shapes, and the request() extension.
import { mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import root from '../../lib/compat/node-ipc/index.ts';
import { cleanup, killAll, spawnLines, tempDir } from '../helpers.ts';
import { connectTo, fresh, next, nodeIpc10, serve, stopAll } from './local.ts';
import { freePort } from './ports.ts';

const require = createRequire(import.meta.url);

afterEach(async () => {
  stopAll();
  await killAll();
});
afterAll(cleanup);

describe('config', () => {
  it("has node-ipc 10's runtime defaults for every field they share", async () => {
    const theirs = new (await nodeIpc10()).IPC().config as Record<string, unknown>;
    const ours = new root.IPC().config as unknown as Record<string, unknown>;
    for (const key of Object.keys(theirs)) {
      if (key === 'logger' || key === 'IPType') continue;
      expect([key, ours[key]]).toEqual([key, theirs[key]]);
    }
    expect(ours.id).toBe(hostname());
    expect(ours.socketRoot).toBe('/tmp/');
    expect(ours.networkHost).toBe('127.0.0.1');
    expect(ours.maxRetries).toBe(Number.POSITIVE_INFINITY);
  });

  it("takes both `interface` (node-ipc's runtime) and `interfaces` (@types/node-ipc) as one object", () => {
    const { config } = new root.IPC();
    config.interfaces = { localAddress: '127.0.0.1' };
    expect(config.interface).toEqual({ localAddress: '127.0.0.1' });
    expect(config.interfaces).toBe(config.interface);
  });

  it('rejects a bad limit, an unknown parser and a custom parser class with ERR_IPC_BAD_OPTION', () => {
    for (const bad of [
      { maxMessageSize: 0 },
      { maxPendingBytes: -1 },
      { parser: 'turbo' },
      { parser: class {} },
    ]) {
      const ipc = fresh(bad as object);
      ipc.serve();
      expect(() => ipc.server.start()).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_OPTION' }));
    }
  });
});

describe('the module', () => {
  it('is the same instance through import, require() and .default, with the IPC class on it', () => {
    const required = require('../../dist/node-ipc.cjs');
    expect(required.default).toBe(required);
    expect(typeof required.IPC).toBe('function');
    expect(typeof required.connectTo).toBe('function');
    expect(new required.IPC()).toBeInstanceOf(required.IPC);
    expect(root.default).toBe(root);
    expect(new root.IPC().config).not.toBe(root.config);
    expect(Object.keys(root).sort()).toEqual(['config', 'of', 'server']);
  });

  it('resolves through the package exports from a fresh project, for require() and import', async () => {
    const dir = tempDir('uipc-consumer-');
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(
      fileURLToPath(new URL('../../', import.meta.url)),
      join(dir, 'node_modules', 'unixipc'),
      'dir',
    );
    const check =
      "typeof ipc.connectTo === 'function' && ipc.default === ipc && typeof ipc.IPC === 'function'";
    const cjs = await execa(
      'node',
      ['-e', `const ipc = require('unixipc/node-ipc'); console.log(${check})`],
      { cwd: dir },
    );
    expect(cjs.stdout).toBe('true');
    const esm = await execa(
      'node',
      ['--input-type=module', '-e', `import ipc from 'unixipc/node-ipc'; console.log(${check})`],
      {
        cwd: dir,
      },
    );
    expect(esm.stdout).toBe('true');
  });
});

describe('logging', () => {
  it('ipc.log goes to config.logger (objects through util.inspect) unless config.silent', () => {
    const ipc = new root.IPC();
    const lines: string[] = [];
    Object.assign(ipc.config, { logger: (line: string) => lines.push(line), logInColor: false });
    ipc.log('hello', { a: { b: { c: 1 } } }, 3);
    expect(lines).toEqual(['hello { a: { b: { c: 1 } } } 3']);
    ipc.config.logDepth = 0;
    ipc.log({ a: { b: 1 } });
    expect(lines[1]).toBe('{ a: [Object] }');
    ipc.config.silent = true;
    ipc.log('nothing');
    expect(lines).toHaveLength(2);
  });

  it('prints by default, and a whole round with silent: true prints nothing at all', async () => {
    const dir = `${tempDir()}/`;
    const loud = spawnLines('node-ipc/quiet.mjs', ['loud', dir]);
    await loud.waitFor(/^got pong \{ n: 1 \}$/);
    const quiet = spawnLines('node-ipc/quiet.mjs', ['silent', dir]);
    const result = await quiet.proc;
    expect(result.exitCode).toBe(0);
    expect([result.stdout, result.stderr]).toEqual(['', '']);
  });
});

describe('TCP', () => {
  it('serveNet on port 0 picks a free port; connectToNet reaches it; server.emit(socket) answers', async () => {
    const server = fresh();
    await new Promise<void>((resolve) => {
      server.serveNet('127.0.0.1', 0, () => resolve());
      server.server.start();
    });
    const port = (server.server as unknown as { port: number }).port;
    expect(port).toBeGreaterThan(0);
    server.server.on('ping', (data: unknown, socket: any) => server.server.emit(socket, 'pong', data));
    const client = fresh();
    await new Promise<void>((resolve) => client.connectToNet('net', '127.0.0.1', port, () => resolve()));
    const pong = next(client.of.net!, 'pong');
    client.of.net!.emit('ping', { x: 1 });
    expect((await pong)[0]).toEqual({ x: 1 });
  });
});

describe('config.delimiter and config.interfaces', () => {
  // node-ipc 9.x/10.x compare the last character of a read with the delimiter: only a
  // one-character delimiter works there (the decoder takes any, see decoder.test.ts).
  it('a custom delimiter works with node-ipc 10 using the same one', async () => {
    const server = fresh({ delimiter: '\n' });
    await serve(server);
    server.server.on('ping', (data: unknown, socket: any) => server.server.emit(socket, 'pong', data));
    const theirs = new (await nodeIpc10()).IPC();
    Object.assign(theirs.config, {
      silent: true,
      delimiter: '\n',
      socketRoot: server.config.socketRoot,
      appspace: server.config.appspace,
    });
    const pong = new Promise((resolve) => {
      theirs.connectTo('world', () => {
        theirs.of.world.on('connect', () => theirs.of.world.emit('ping', { text: 'two\nlines\f' }));
        theirs.of.world.on('pong', resolve);
      });
    });
    expect(await pong).toEqual({ text: 'two\nlines\f' });
    theirs.disconnect('world');
  });

  it('connectToNet passes config.interfaces (node-ipc: config.interface) to the connect', async () => {
    const server = fresh();
    await new Promise<void>((resolve) => {
      server.serveNet('127.0.0.1', 0, () => resolve());
      server.server.start();
    });
    const localPort = await freePort('tcp');
    const client = fresh();
    (client.config.interfaces as Record<string, unknown>) = { localAddress: '127.0.0.1', localPort };
    const connected = next(server.server, 'connect');
    client.connectToNet('net', '127.0.0.1', (server.server as unknown as { port: number }).port);
    const [socket] = await connected;
    expect(socket.remotePort).toBe(localPort);
  });
});

describe('server.emit shapes', () => {
  it('emit(event, value) without a socket, the typed overload, reaches every client', async () => {
    const server = fresh();
    await serve(server);
    const a = fresh({}, server.config.socketRoot);
    const b = fresh({}, server.config.socketRoot);
    await Promise.all([connectTo(a), connectTo(b)]);
    await expect.poll(() => (server.server as unknown as { sockets: unknown[] }).sockets.length).toBe(2);
    const got = [next(a.of.world!, 'all'), next(b.of.world!, 'all')];
    server.server.emit('all', { n: 1 });
    expect((await Promise.all(got)).map((args) => args[0])).toEqual([{ n: 1 }, { n: 1 }]);
  });
});

describe('rawBuffer', () => {
  it('exchanges raw bytes with node-ipc 10 in rawBuffer mode, both ways', async () => {
    const server = fresh({ rawBuffer: true });
    await serve(server);
    server.server.on('data', (bytes: Buffer, socket: any) => {
      server.server.emit(socket, Buffer.concat([Buffer.from('echo:'), bytes]));
    });
    const theirs = new (await nodeIpc10()).IPC();
    Object.assign(theirs.config, {
      silent: true,
      rawBuffer: true,
      socketRoot: server.config.socketRoot,
      appspace: server.config.appspace,
    });
    const echoed = new Promise<Buffer>((resolve) => {
      theirs.connectTo('world', () => {
        theirs.of.world.on('connect', () => theirs.of.world.emit('\u0001raw'));
        theirs.of.world.on('data', (bytes: Buffer) => resolve(bytes));
      });
    });
    expect((await echoed).toString()).toBe('echo:\u0001raw');
    theirs.disconnect('world');
  });

  it('our rawBuffer client with a node-ipc 10 rawBuffer server', async () => {
    const theirs = new (await nodeIpc10()).IPC();
    const socketRoot = `${tempDir()}/`;
    Object.assign(theirs.config, { silent: true, rawBuffer: true, socketRoot, appspace: 'test.', id: 'raw' });
    await new Promise<void>((resolve) => {
      theirs.serve(() => resolve());
      theirs.server.on('data', (bytes: Buffer, socket: any) =>
        theirs.server.emit(socket, Buffer.from(`got ${bytes.length}`)),
      );
      theirs.server.start();
    });
    const client = fresh({ rawBuffer: true }, socketRoot);
    await connectTo(client, 'raw');
    const data = next(client.of.raw!, 'data');
    // node-ipc decodes what it reads with config.encoding (utf8): ASCII bytes survive it.
    client.of.raw!.emit(Buffer.from([0, 1, 2, 127]));
    expect((await data)[0].toString()).toBe('got 4');
    theirs.server.stop();
  });
});

describe('sync mode', () => {
  it('a client sends its next message only once the server has sent one', async () => {
    const server = fresh();
    await serve(server);
    const received: number[] = [];
    let answer: (() => void) | undefined;
    server.server.on('n', (n: number, socket: any) => {
      received.push(n);
      answer = () => server.server.emit(socket, 'ack', n);
    });
    const client = fresh({ sync: true }, server.config.socketRoot);
    await connectTo(client);
    for (const n of [1, 2, 3]) client.of.world!.emit('n', n);
    await expect.poll(() => received).toEqual([1]);
    answer!();
    await expect.poll(() => received).toEqual([1, 2]);
    answer!();
    await expect.poll(() => received).toEqual([1, 2, 3]);
  });
});

describe('disconnect right after emit', () => {
  it('still delivers a message too large to be written at once (node-ipc destroyed the socket and dropped it)', async () => {
    const server = fresh();
    await serve(server);
    const client = fresh({}, server.config.socketRoot);
    await connectTo(client);
    const big = 'b'.repeat(8 << 20);
    const got = next(server.server, 'big', 10_000);
    client.of.world!.emit('big', big);
    client.disconnect('world');
    expect((await got)[0]).toHaveLength(big.length);
  });

  it('still delivers what was emitted before the connection was up', async () => {
    const server = fresh();
    await serve(server);
    const client = fresh({}, server.config.socketRoot);
    client.connectTo('world');
    client.of.world!.emit('early', { n: 1 });
    client.disconnect('world');
    expect((await next(server.server, 'early'))[0]).toEqual({ n: 1 });
  });
});

describe('retries', () => {
  it('maxRetries: 2 makes three attempts, then destroy; false means no limit', async () => {
    const client = fresh({ maxRetries: 2 });
    let errors = 0;
    client.connectTo('nobody');
    client.of.nobody!.on('error', () => errors++);
    await next(client.of.nobody!, 'destroy');
    expect(errors).toBe(3);
    const unlimited = fresh({ maxRetries: false });
    let attempts = 0;
    unlimited.connectTo('nobody');
    unlimited.of.nobody!.on('error', () => attempts++);
    await expect.poll(() => attempts, { timeout: 5_000 }).toBeGreaterThan(4);
  });

  it('stopRetrying set while retrying stops it', async () => {
    const client = fresh();
    client.connectTo('nobody');
    await next(client.of.nobody!, 'error');
    client.config.stopRetrying = true;
    await next(client.of.nobody!, 'destroy');
  });

  it('a client reconnects after its server restarts, and emits made meanwhile go out then', async () => {
    const server = fresh();
    await serve(server);
    const client = fresh({}, server.config.socketRoot);
    await connectTo(client);
    const lost = next(client.of.world!, 'disconnect');
    server.server.stop();
    await lost;
    client.of.world!.emit('queued', { n: 1 });
    const again = fresh({}, server.config.socketRoot);
    await serve(again);
    const [data] = await next(again.server, 'queued');
    expect(data).toEqual({ n: 1 });
  });
});

describe('request() (extension)', () => {
  async function pair() {
    const server = fresh();
    await serve(server);
    const client = fresh({}, server.config.socketRoot);
    await connectTo(client);
    return { server: server.server, world: client.of.world!, client };
  }

  it('resolves with the next message of the reply type, in order', async () => {
    const { server, world } = await pair();
    server.on('double', (n: number, socket: any) => server.emit(socket, 'doubled', n * 2));
    const answers = await Promise.all([1, 2, 3].map((n) => world.request('double', n, { reply: 'doubled' })));
    expect(answers).toEqual([2, 4, 6]);
  });

  it('with match, takes answers that come out of order', async () => {
    const { server, world } = await pair();
    const held: [any, number][] = [];
    server.on('get', (data: { id: number }, socket: any) => {
      held.push([socket, data.id]);
      if (held.length === 2) for (const [s, id] of held.reverse()) server.emit(s, 'got', { id, v: id * 10 });
    });
    const [a, b] = await Promise.all(
      [1, 2].map((id) =>
        world.request('get', { id }, { reply: 'got', match: (d: { id: number }) => d.id === id }),
      ),
    );
    expect([a, b]).toEqual([
      { id: 1, v: 10 },
      { id: 2, v: 20 },
    ]);
  });

  it('rejects with ERR_IPC_TIMEOUT, ERR_IPC_ABORTED and, when the connection is lost, ERR_IPC_CLOSED', async () => {
    const { server, world } = await pair();
    await expect(world.request('nothing', {}, { timeout: 50 })).rejects.toMatchObject({
      code: 'ERR_IPC_TIMEOUT',
    });
    const controller = new AbortController();
    const aborted = world.request('nothing', {}, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_IPC_ABORTED' });
    const pending = world.request('nothing');
    server.stop();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IPC_CLOSED' });
  });
});
