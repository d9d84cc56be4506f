import type { Server, Socket } from 'node:net';
import { fsp, net } from '../builtins.ts';
import { debug } from '../debug.ts';
import { systemCode } from '../errors.ts';
import { removeOnExit } from './exit-cleanup.ts';
import { acquirePathLock } from './lock.ts';

/** A listening socket handed to the server layer; it knows nothing of connections. */
export interface Listener {
  readonly transport: 'unix' | 'tcp';
  /** 'unix:/path' or 'tcp://127.0.0.1:PORT'. */
  readonly endpoint: string;
  /** The filesystem path this listener owns (socket or descriptor), if any. */
  readonly path: string | undefined;
  /** The token a client must present (TCP reached through a descriptor). */
  readonly token: string | undefined;
  onConnection(handler: (socket: Socket) => void): void;
  /** Whether the file at `path` is still the one this listener created. */
  ownsPath(): Promise<boolean>;
  /** Stops accepting and removes its own file (never another's). Idempotent. */
  close(): Promise<void>;
}

export interface OwnedPath {
  path: string;
  ino: number;
  dev: number;
  /** Frees what keeps the path's identity (the descriptor's open handle, the directory alias). */
  release: () => void;
  token?: string;
}

const EARLY = Symbol('early connections');
type Collecting = Server & { [EARLY]?: { sockets: Socket[]; collect: (socket: Socket) => void } };

/**
 * A server that keeps the connections it accepts before a NetListener takes it
 * over: a bind has awaits (chmod, link) between listen() and then, and a client
 * that connects in that window must not be left hanging.
 */
export function createNetServer(): Server {
  const server = net().createServer() as Collecting;
  const sockets: Socket[] = [];
  const collect = (socket: Socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
  };
  server[EARLY] = { sockets, collect };
  server.on('connection', collect);
  return server;
}

function adoptEarly(server: Collecting): Socket[] {
  const early = server[EARLY];
  if (early === undefined) return [];
  server.removeListener('connection', early.collect);
  delete server[EARLY];
  return early.sockets;
}

export function listenServer(
  server: Server,
  options:
    | { path: string; backlog?: number | undefined }
    | { host: string; port: number; backlog?: number | undefined }
    | { fd: number },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    const opts: Record<string, unknown> = { ...options };
    if (opts.backlog === undefined) delete opts.backlog;
    server.listen(opts, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}

export class NetListener implements Listener {
  readonly path: string | undefined;
  readonly token: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly forgetOnExit: () => void;
  private handler: ((socket: Socket) => void) | undefined;
  private early: Socket[] = [];

  constructor(
    private readonly server: Server,
    readonly transport: 'unix' | 'tcp',
    readonly endpoint: string,
    private readonly owned: OwnedPath | undefined,
    token?: string,
  ) {
    this.path = owned?.path;
    this.token = owned?.token ?? token;
    this.forgetOnExit = owned ? removeOnExit(owned) : () => {};
    server.on('error', (error) => debug('listener %s: %s', endpoint, error.message));
    this.early = adoptEarly(server);
    server.on('connection', (socket: Socket) => this.accepted(socket));
  }

  /**
   * The listener accepts from the moment it is bound, before the server layer
   * has said where connections go: those that arrive meanwhile wait here.
   */
  onConnection(handler: (socket: Socket) => void): void {
    const early = this.early;
    this.handler = handler;
    this.early = [];
    for (const socket of early) {
      if (this.transport === 'tcp') socket.setNoDelay(true);
      if (!socket.destroyed) handler(socket);
    }
  }

  private accepted(socket: Socket): void {
    if (this.transport === 'tcp') socket.setNoDelay(true);
    if (this.handler !== undefined) {
      this.handler(socket);
      return;
    }
    socket.on('error', () => {});
    this.early.push(socket);
  }

  async ownsPath(): Promise<boolean> {
    if (this.owned === undefined) return false;
    try {
      const st = await fsp().lstat(this.owned.path);
      return st.ino === this.owned.ino && st.dev === this.owned.dev;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const owned = this.owned;
    this.forgetOnExit();
    if (owned !== undefined) {
      // Under the bind lock, so a starter replacing a stale file cannot lose its fresh one to us.
      const unlock = await acquirePathLock(owned.path, 2_000).catch(() => undefined);
      try {
        if (await this.ownsPath()) {
          await fsp()
            .unlink(owned.path)
            .catch((error) => {
              if (systemCode(error) !== 'ENOENT') throw error;
            });
          debug('close %s: removed its own file', owned.path);
        } else {
          debug('close %s: the file there is no longer ours; left alone', owned.path);
        }
      } finally {
        await unlock?.();
      }
    }
    this.server.close(() => owned?.release());
    // The listening handle is closed now; the callback above waits for open connections too.
    if (this.server.listening) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
