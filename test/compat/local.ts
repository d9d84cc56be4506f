// In-process helpers for the compat tests: fresh IPC instances (real sockets, a temp socketRoot).
import { once } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import root from '../../lib/compat/node-ipc/index.ts';
import type { Config, IPC } from '../../lib/compat/node-ipc/types.ts';
import { tempDir } from '../helpers.ts';

export type Ipc = IPC;

const made: IPC[] = [];

/** A new IPC instance: silent, its sockets under a fresh temp dir, quick retries. */
export function fresh(config: Partial<Config> = {}, socketRoot = `${tempDir('uipc-compat-')}/`): IPC {
  const ipc = new root.IPC();
  Object.assign(ipc.config, { silent: true, socketRoot, appspace: 'test.', retry: 20, id: 'world' }, config);
  made.push(ipc);
  return ipc;
}

/** Stops every server and disconnects every client made by fresh(). */
export function stopAll(): void {
  for (const ipc of made.splice(0)) {
    for (const id of Object.keys(ipc.of)) ipc.disconnect(id);
    if (ipc.server) ipc.server.stop();
  }
}

/** serve() and start(); resolves once started, rejects on an 'error' event first (bounded). */
export function serve(ipc: IPC, path?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 5_000);
    if (path === undefined) ipc.serve(() => done(resolve));
    else ipc.serve(path, () => done(resolve));
    ipc.server.on('error', (error: unknown) => done(() => reject(error)));
    ipc.server.start();
    function done(then: () => void) {
      clearTimeout(timer);
      then();
    }
  });
}

/** connectTo(); resolves once connected (bounded). */
export function connectTo(ipc: IPC, id = 'world', path?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${id}`)), 5_000);
    const callback = () => {
      clearTimeout(timer);
      resolve();
    };
    if (path === undefined) ipc.connectTo(id, callback);
    else ipc.connectTo(id, path, callback);
  });
}

/** The next event of that name on a client or server (bounded); resolves with its arguments. */
export function next(
  emitter: { once(event: string, cb: (...args: any[]) => void): unknown },
  event: string,
  timeoutMs = 5_000,
): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no '${event}' event within ${timeoutMs} ms`)),
      timeoutMs,
    );
    emitter.once(event, (...args: any[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** A raw socket to a path, connected. */
export async function rawSocket(path: string): Promise<Socket> {
  const socket = netConnect(path);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** The socket path a server of `ipc` uses by default. */
export function pathOf(ipc: IPC, id = ipc.config.id): string {
  return ipc.config.socketRoot + ipc.config.appspace + id;
}

/** @achrinza/node-ipc 10 loaded in this process (it ships no types: a computed specifier). */
export async function nodeIpc10(): Promise<any> {
  const name = '@achrinza/node-ipc';
  return (await import(name)).default;
}
