import { fs } from '../../builtins.ts';
import { ErrorCodes, IpcError, systemCode } from '../../errors.ts';
import {
  bindUdp,
  type Listener,
  listen,
  type RemoteInfo,
  type Socket,
  type UdpEndpoint,
} from '../../transport/index.ts';
import { localAddress, type Settings, settingsOf } from './config.ts';
import { readDatagram, type UdpPeer, UdpPeers } from './datagrams.ts';
import { EventRegistry } from './events.ts';
import type { Log } from './log.ts';
import { outgoing } from './policy.ts';
import { StreamPeer } from './stream-peer.ts';
import type { Config, Server } from './types.ts';

type Identified = Socket & { id?: unknown };

/**
 * `ipc.server`: node-ipc's server on a unix socket (`serve`), TCP or UDP
 * (`serveNet`). Differences from node-ipc's, each a fix: the socket path is
 * bound with unixipc's safe bind (a live server's socket and anything that
 * is not a socket are never removed, a stale socket is reclaimed); a peer's
 * message named like a local event is never dispatched as one; a peer's
 * claimed `data.id` names its socket once; `stop()` lets queued writes out.
 */
export class IpcServer extends EventRegistry implements Server {
  udp4 = false;
  udp6 = false;
  /** Stream sockets, or the UDP peers heard from. */
  sockets: (Socket | UdpPeer)[] = [];
  /** The listening socket once started (node-ipc's net.Server or dgram socket). */
  server: Listener | UdpEndpoint | false = false;

  private settings: Settings | undefined;
  private readonly peers = new Map<Socket, StreamPeer>();
  private udpPeers: UdpPeers | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly config: Config,
    private readonly log: Log,
    /** A socket path, or for serveNet the host. */
    public path: string,
    /** serveNet only; after start, the port bound (0 given: the one picked). */
    public port?: number,
  ) {
    super();
  }

  private get udp(): 'udp4' | 'udp6' | undefined {
    return this.udp4 ? 'udp4' : this.udp6 ? 'udp6' : undefined;
  }

  /** Binds and starts serving; a bad config throws ERR_IPC_BAD_OPTION, a failed bind is an `error` event. */
  start(): void {
    if (this.started) return;
    if (!this.path) {
      this.log('Socket Server Path not specified, refusing to start');
      return;
    }
    this.settings = settingsOf(this.config, this.port !== undefined);
    this.started = true;
    this.log('starting server on', this.path, this.port === undefined ? '' : `:${this.port}`);
    this.bind().then(
      (started) => {
        if (this.stopped) {
          this.closeServer();
          return;
        }
        this.publish('start', started);
      },
      (error: IpcError) => {
        this.log('server error', error.code, error.message);
        this.publish('error', error);
      },
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const peer of this.peers.values()) peer.end();
    this.closeServer();
  }

  emit(...args: any[]): this {
    const [target, type, data] = args;
    if (this.udp !== undefined) {
      if (typeof target === 'object' && target !== null && target.address && target.port) {
        const bytes = this.encode(type, data);
        if (bytes !== undefined) this.sendDatagram(bytes, target);
      } else {
        this.log('emitting to a UDP socket without an address and port: broadcasting instead');
        this.broadcast(target, type);
      }
      return this;
    }
    const peer = typeof target === 'object' && target !== null ? this.peers.get(target) : undefined;
    if (peer === undefined) {
      if (typeof target === 'string' || Buffer.isBuffer(target)) {
        // The typed emit(event, value) overload: there is no socket, so everyone gets it.
        this.broadcast(target, type);
      } else {
        this.log('not emitting', type, ': that socket is not connected to this server');
      }
      return this;
    }
    const bytes = this.encode(type, data);
    if (bytes !== undefined) peer.send(bytes);
    return this;
  }

  broadcast(type: any, data?: any): this {
    const bytes = this.encode(type, data);
    if (bytes === undefined) return this;
    if (this.udp !== undefined) {
      for (const peer of this.udpPeers?.list() ?? []) this.sendDatagram(bytes, peer);
    } else {
      for (const peer of this.peers.values()) peer.send(bytes);
    }
    return this;
  }

  private encode(type: unknown, data: unknown): Buffer | undefined {
    const settings = this.settings ?? settingsOf(this.config, this.port !== undefined);
    try {
      return outgoing(type, data, settings);
    } catch (error) {
      if (!(error instanceof IpcError)) throw error;
      this.log('not sending:', error.message);
      this.publish('error', error);
      return undefined;
    }
  }

  private async bind(): Promise<unknown> {
    const udp = this.udp;
    if (udp !== undefined) {
      const endpoint = await bindUdp(udp, this.path, this.port ?? 0);
      this.server = endpoint;
      this.port = endpoint.address().port;
      this.udpPeers = new UdpPeers(Math.max(1, this.config.maxConnections));
      this.sockets = [];
      endpoint.onMessage((datagram, from) => this.datagram(datagram, from));
      endpoint.onError((error) =>
        this.publish('error', new IpcError(ErrorCodes.CLOSED, error.message, { cause: error })),
      );
      return endpoint.address();
    }
    let listener: Listener;
    if (this.port !== undefined) {
      listener = await listen({ kind: 'tcp', host: this.path, port: this.port }, { transport: 'tcp' });
      this.port = Number(/:(\d+)$/.exec(listener.endpoint)?.[1]);
    } else {
      const path = localAddress(this.path);
      if (!this.config.unlink) refuseExisting(path);
      const mode = 0o600 | (this.config.readableAll ? 0o044 : 0) | (this.config.writableAll ? 0o022 : 0);
      listener = await listen({ kind: 'path', path }, { transport: 'unix', mode });
    }
    this.server = listener;
    listener.onConnection((socket) => this.connection(socket));
    return listener;
  }

  private closeServer(): void {
    const server = this.server;
    this.udpPeers?.clear();
    if (server === false) return;
    server.close().catch((error: unknown) => {
      this.log('error closing the server', (error as Error).message);
      this.publish('error', error);
    });
  }

  private connection(socket: Identified): void {
    if (this.stopped || this.peers.size >= this.config.maxConnections) {
      this.log('refusing a connection: maxConnections', this.config.maxConnections, 'reached');
      socket.destroy();
      return;
    }
    const peer = new StreamPeer(socket, this.settings!, {
      message: (type, data) => this.received(type, data, socket),
      raw: (bytes) => this.publish('data', bytes, socket),
      dropped: (type) => this.log('ignoring a message named', type, '(a local event name) from a client'),
      failed: (error) => {
        this.log('IPC protocol error', error.code, error.message);
        this.publish('error', error, socket);
      },
      socketError: (error) => {
        this.log('server socket error', error.message);
        this.publish('error', error, socket);
      },
      closed: () => this.closed(socket),
    });
    this.peers.set(socket, peer);
    this.sockets.push(socket);
    this.log('## socket connection to server detected ##');
    this.publish('connect', socket);
  }

  private received(type: string, data: unknown, socket: Identified): void {
    if (this.settings!.identifyPeer && socket.id === undefined) this.identify(socket, data);
    if (this.settings!.logPayloads) this.log('received event of :', type, data);
    this.publish(type, data, socket);
  }

  /** The first id a peer claims names its socket, unless another live socket holds it. */
  private identify(socket: Identified, data: unknown): void {
    const id = (data as { id?: unknown } | null)?.id;
    if ((typeof id !== 'string' || id === '') && typeof id !== 'number') return;
    for (const other of this.peers.keys()) {
      if ((other as Identified).id === id) {
        this.log('a client claims the id', id, 'of another live connection: ignored');
        return;
      }
    }
    socket.id = id;
  }

  private closed(socket: Identified): void {
    this.peers.delete(socket);
    const at = this.sockets.indexOf(socket);
    if (at !== -1) this.sockets.splice(at, 1);
    const id = socket.id ?? false;
    this.log('socket disconnected', String(id));
    this.publish('close', socket);
    this.publish('socket.disconnected', socket, id);
  }

  private datagram(datagram: Buffer, from: RemoteInfo): void {
    const peer = this.udpPeers!.from(from);
    this.sockets = this.udpPeers!.list();
    if (this.settings!.profile === 'raw') {
      this.publish('data', datagram, peer);
      return;
    }
    readDatagram(datagram, this.settings!, {
      message: (type, data) => {
        if (this.settings!.logPayloads) this.log('received event of :', type, data);
        this.publish(type, data, peer);
      },
      dropped: (type) => this.log('ignoring a datagram named', type, '(a local event name)'),
      bad: (error) => {
        this.log('bad datagram from', from.address, from.port, error.message);
        this.publish('error', error, peer);
      },
    });
  }

  private sendDatagram(bytes: Buffer, to: { address?: string; port?: number }): void {
    const endpoint = this.server as UdpEndpoint | false;
    if (endpoint === false) {
      this.log('not sending: the UDP server has not started');
      return;
    }
    endpoint.send(bytes, to.port!, to.address!, (error) => {
      if (error === null) return;
      this.log('error writing datagram', error.message);
      this.publish(
        'error',
        new IpcError(ErrorCodes.CLOSED, `cannot send to ${to.address}:${to.port}`, { cause: error }),
      );
    });
  }
}

/** `unlink: false`: whatever is at the path stays, and binding fails (as node-ipc's did). */
function refuseExisting(path: string): void {
  let st: ReturnType<typeof fs.lstatSync>;
  try {
    st = fs.lstatSync(path);
  } catch (error) {
    if (systemCode(error) === 'ENOENT') return;
    throw new IpcError(ErrorCodes.LISTEN, `cannot inspect ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  throw new IpcError(
    st?.isSocket() ? ErrorCodes.ADDR_IN_USE : ErrorCodes.PATH_OCCUPIED,
    `${path} already exists and ipc.config.unlink is false: left as it is`,
  );
}
