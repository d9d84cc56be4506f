// What unixipc/node-ipc fixes instead of copying: unlink, spoofed local events and ids, size caps,
// incomplete messages, TLS without a bundled key.
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanup, exited, killAll, spawnLines, tempDir } from '../helpers.ts';
import { connectTo, fresh, next, pathOf, rawSocket, serve, stopAll } from './local.ts';

afterEach(async () => {
  stopAll();
  await killAll();
});
afterAll(cleanup);

describe('unlink: true reclaims only a stale socket', () => {
  it("never takes a live node-ipc server's path: ERR_IPC_ADDR_IN_USE, and that server keeps serving", async () => {
    const root = `${tempDir('uipc-unlink-')}/`;
    const theirs = spawnLines('node-ipc/server.mjs', ['node-ipc10', 'unix', root, 'world', '0']);
    await theirs.waitFor(/^READY /);
    const ours = fresh({}, root);
    await expect(serve(ours)).rejects.toMatchObject({ code: 'ERR_IPC_ADDR_IN_USE' });
    const client = spawnLines('node-ipc/client.mjs', ['ours', 'unix', root, 'world', '0']);
    expect(await client.waitFor(/^HI /)).toBe('HI {"n":1,"impl":"node-ipc10"}');
  });

  it('reclaims the socket a killed node-ipc server left behind', async () => {
    const root = `${tempDir('uipc-unlink-')}/`;
    const theirs = spawnLines('node-ipc/server.mjs', ['node-ipc10', 'unix', root, 'world', '0']);
    await theirs.waitFor(/^READY /);
    theirs.proc.kill('SIGKILL');
    await exited(theirs.proc);
    const ours = fresh({}, root);
    expect(lstatSync(pathOf(ours)).isSocket()).toBe(true);
    await serve(ours);
    const client = fresh({}, root);
    await connectTo(client);
  });

  it('leaves a file, a directory or a symlink at the path alone: ERR_IPC_PATH_OCCUPIED', async () => {
    const ours = fresh();
    const path = pathOf(ours);
    writeFileSync(path, 'precious');
    await expect(serve(fresh({}, ours.config.socketRoot))).rejects.toMatchObject({
      code: 'ERR_IPC_PATH_OCCUPIED',
    });
    expect(readFileSync(path, 'utf8')).toBe('precious');
    const other = fresh();
    mkdirSync(pathOf(other));
    await expect(serve(other)).rejects.toMatchObject({ code: 'ERR_IPC_PATH_OCCUPIED' });
    expect(lstatSync(pathOf(other)).isDirectory()).toBe(true);
    const linked = fresh();
    symlinkSync(join(linked.config.socketRoot, 'elsewhere.sock'), pathOf(linked));
    await expect(serve(linked)).rejects.toMatchObject({ code: 'ERR_IPC_PATH_OCCUPIED' });
    expect(lstatSync(pathOf(linked)).isSymbolicLink()).toBe(true);
  });

  it('unlink: false leaves even a stale socket where it is', async () => {
    const root = `${tempDir('uipc-unlink-')}/`;
    const theirs = spawnLines('node-ipc/server.mjs', ['node-ipc10', 'unix', root, 'world', '0']);
    await theirs.waitFor(/^READY /);
    theirs.proc.kill('SIGKILL');
    await exited(theirs.proc);
    const ours = fresh({ unlink: false }, root);
    const before = lstatSync(pathOf(ours)).ino;
    await expect(serve(ours)).rejects.toMatchObject({ code: 'ERR_IPC_ADDR_IN_USE' });
    expect(lstatSync(pathOf(ours)).ino).toBe(before);
  });

  it('stop() removes its own socket file', async () => {
    const ours = fresh();
    await serve(ours);
    expect(lstatSync(pathOf(ours)).isSocket()).toBe(true);
    ours.server.stop();
    await expect
      .poll(() => {
        try {
          lstatSync(pathOf(ours));
          return 'present';
        } catch {
          return 'gone';
        }
      })
      .toBe('gone');
  });
});

describe('a peer cannot trigger local events', () => {
  it('"error", "connect" and "socket.disconnected" messages from a client are dropped, the connection goes on', async () => {
    const ipc = fresh();
    await serve(ipc);
    const local: string[] = [];
    for (const event of ['error', 'connect', 'socket.disconnected', 'start', 'close']) {
      ipc.server.on(event, () => local.push(event));
    }
    const socket = await rawSocket(pathOf(ipc));
    await expect.poll(() => local).toEqual(['connect']);
    const after = next(ipc.server, 'after');
    socket.write('{"type":"error","data":{"message":"spoofed"}}\f{"type":"socket.disconnected","data":{}}\f');
    socket.write('{"type":"connect","data":{}}\f{"type":"after","data":{"ok":true}}\f');
    expect((await after)[0]).toEqual({ ok: true });
    expect(local).toEqual(['connect']);
    socket.destroy();
  });

  it('"disconnect" and "destroy" messages from a server are dropped by the client', async () => {
    const server = fresh();
    await serve(server);
    server.server.on('connect', (socket: any) => {
      server.server.emit(socket, 'disconnect', {});
      server.server.emit(socket, 'destroy', {});
      server.server.emit(socket, 'error', {});
      server.server.emit(socket, 'after', { ok: true });
    });
    const client = fresh({}, server.config.socketRoot);
    const local: string[] = [];
    client.connectTo('world');
    for (const event of ['disconnect', 'destroy', 'error'])
      client.of.world!.on(event, () => local.push(event));
    expect((await next(client.of.world!, 'after'))[0]).toEqual({ ok: true });
    expect(local).toEqual([]);
  });

  it("under parser 'guarded' such a message closes that connection with ERR_IPC_BAD_FRAME", async () => {
    const ipc = fresh({ parser: 'guarded' });
    await serve(ipc);
    const socket = await rawSocket(pathOf(ipc));
    const error = next(ipc.server, 'error');
    socket.write('{"type":"error","data":{}}\f');
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_BAD_FRAME' });
    await next(ipc.server, 'socket.disconnected');
  });

  it('allowReservedEvents: true dispatches them (node-ipc 14 escape hatch)', async () => {
    const ipc = fresh({ allowReservedEvents: true });
    await serve(ipc);
    const socket = await rawSocket(pathOf(ipc));
    const close = next(ipc.server, 'close');
    socket.write('{"type":"close","data":{"peer":true}}\f');
    expect((await close)[0]).toEqual({ peer: true });
    socket.destroy();
  });

  it("the first id a client claims names its socket; a later one, or another live socket's, does not", async () => {
    const ipc = fresh();
    await serve(ipc);
    const ids: unknown[] = [];
    ipc.server.on('m', (_data: unknown, socket: { id?: unknown }) => ids.push(socket.id));
    const a = await rawSocket(pathOf(ipc));
    a.write('{"type":"m","data":{"id":"alice"}}\f{"type":"m","data":{"id":"mallory"}}\f');
    await expect.poll(() => ids).toEqual(['alice', 'alice']);
    const b = await rawSocket(pathOf(ipc));
    b.write('{"type":"m","data":{"id":"alice"}}\f');
    await expect.poll(() => ids).toEqual(['alice', 'alice', undefined]);
    const gone = next(ipc.server, 'socket.disconnected');
    a.destroy();
    expect((await gone)[1]).toBe('alice');
    b.destroy();
  });
});

describe('limits', () => {
  it('a message over maxMessageSize closes that connection with ERR_IPC_FRAME_TOO_LARGE, as its bytes arrive', async () => {
    const ipc = fresh({ maxMessageSize: 1024 });
    await serve(ipc);
    const socket = await rawSocket(pathOf(ipc));
    const error = next(ipc.server, 'error');
    // No delimiter yet: refused on the bytes alone.
    socket.write(`{"type":"big","data":"${'x'.repeat(2048)}`);
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_FRAME_TOO_LARGE' });
    await next(ipc.server, 'socket.disconnected');
  });

  it('emitting a message over maxMessageSize is an error event, and nothing is sent', async () => {
    const server = fresh();
    await serve(server);
    const client = fresh({ maxMessageSize: 100 }, server.config.socketRoot);
    await connectTo(client);
    const error = next(client.of.world!, 'error');
    let got = 0;
    server.server.on('big', () => got++);
    client.of.world!.emit('big', 'x'.repeat(200));
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_FRAME_TOO_LARGE' });
    client.of.world!.emit('big', 'small');
    await expect.poll(() => got).toBe(1);
  });

  it('past maxPendingBytes queued to a peer that does not read, that connection is closed', async () => {
    const ipc = fresh({ maxPendingBytes: 1 << 20 });
    await serve(ipc);
    const connected = next(ipc.server, 'connect');
    const socket = await rawSocket(pathOf(ipc));
    socket.pause();
    const [target] = await connected;
    const error = next(ipc.server, 'error', 10_000);
    const chunk = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 200 && (ipc.server as unknown as { sockets: unknown[] }).sockets.length > 0; i++) {
      ipc.server.emit(target, 'flood', chunk);
    }
    expect((await error)[0]).toMatchObject({
      code: 'ERR_IPC_CLOSED',
      message: expect.stringMatching(/maxPendingBytes/),
    });
    socket.destroy();
  });

  it('an incomplete message waiting past messageTimeout closes the connection with ERR_IPC_TIMEOUT', async () => {
    const ipc = fresh({ messageTimeout: 100 });
    await serve(ipc);
    const socket = await rawSocket(pathOf(ipc));
    const error = next(ipc.server, 'error');
    socket.write('{"type":"slow","da');
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_TIMEOUT' });
    await next(ipc.server, 'socket.disconnected');
  });

  it('malformed JSON closes that connection with ERR_IPC_BAD_FRAME; the server serves others', async () => {
    const ipc = fresh();
    await serve(ipc);
    const bad = await rawSocket(pathOf(ipc));
    const error = next(ipc.server, 'error');
    bad.write('{"type":"x",\f');
    expect((await error)[0]).toMatchObject({ code: 'ERR_IPC_BAD_FRAME' });
    const client = fresh({}, ipc.config.socketRoot);
    await connectTo(client);
    const got = next(ipc.server, 'ok');
    client.of.world!.emit('ok', 1);
    expect((await got)[0]).toBe(1);
  });
});

describe('TLS', () => {
  it('is refused with ERR_IPC_BAD_OPTION: there is no bundled key to fall back on', () => {
    const ipc = fresh({ tls: { private: '/nonexistent/key.pem', public: '/nonexistent/cert.pem' } });
    ipc.serveNet('127.0.0.1', 0);
    expect(() => ipc.server.start()).toThrow(expect.objectContaining({ code: 'ERR_IPC_BAD_OPTION' }));
    expect(() => ipc.connectToNet('x', '127.0.0.1', 1)).toThrow(
      expect.objectContaining({ code: 'ERR_IPC_BAD_OPTION' }),
    );
  });
});
