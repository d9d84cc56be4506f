import { IpcClient } from './client.ts';
import { Defaults } from './config.ts';
import { log } from './log.ts';
import { IpcServer } from './server.ts';
import type { Client, Config, IPC as IPCShape, Server } from './types.ts';

type Callback = () => void;

function noop(): void {}

/**
 * node-ipc's `IPC` class, argument juggling included: `connectTo(id, cb)`,
 * `serveNet(port)`, `serveNet('udp4', cb)` and the other shapes its README
 * shows. Each instance has its own `config`, `of` and `server`.
 */
export class IPC implements IPCShape {
  config: Config = new Defaults();
  of: Record<string, Client> = {};
  /** `false` until serve() or serveNet(), as in node-ipc's runtime (the types say Server). */
  server: Server = false as unknown as Server;

  readonly #log = (...args: unknown[]) => this.log(...args);

  log(...args: any[]): void {
    log(this.config, args);
  }

  connectTo(id: string, path?: string, callback?: Callback): void;
  connectTo(id: string, callback?: Callback): void;
  connectTo(id: string, path?: string | Callback, callback?: Callback): void {
    if (typeof path === 'function') {
      callback = path;
      path = undefined;
    }
    if (!id) {
      this.log('Service id required', 'Requested service connection without specifying service id. Aborting');
      return;
    }
    if (!path) {
      path = this.config.socketRoot + this.config.appspace + id;
      this.log(
        'Service path not specified, so defaulting to',
        'ipc.config.socketRoot + ipc.config.appspace + id',
        path,
      );
    }
    this.open(id, { id, path }, callback);
  }

  connectToNet(id: string, host?: string, port?: number, callback?: Callback): void;
  connectToNet(id: string, callback?: Callback): void;
  connectToNet(id: string, hostOrPort: number | string, callback?: Callback): void;
  connectToNet(id: string, host?: any, port?: any, callback?: any): void {
    if (!id) {
      this.log('Service id required', 'Requested service connection without specifying service id. Aborting');
      return;
    }
    if (typeof host === 'number') {
      callback = port;
      port = host;
      host = undefined;
    }
    if (typeof host === 'function') {
      callback = host;
      host = undefined;
      port = undefined;
    }
    if (typeof port === 'function') {
      callback = port;
      port = undefined;
    }
    if (!host) {
      host = this.config.networkHost;
      this.log('Server host not specified, so defaulting to', 'ipc.config.networkHost', host);
    }
    if (!port) {
      port = this.config.networkPort;
      this.log('Server port not specified, so defaulting to', 'ipc.config.networkPort', port);
    }
    this.open(id, { id, path: host, port }, typeof callback === 'function' ? callback : undefined);
  }

  disconnect(id: string): void {
    const client = this.of[id] as IpcClient | undefined;
    if (client === undefined) return;
    client.disconnect();
    delete this.of[id];
  }

  serve(path: string, callback?: Callback): void;
  serve(callback?: Callback): void;
  serve(callback: null): void;
  serve(path?: string | Callback | null, callback?: Callback): void {
    if (typeof path === 'function') {
      callback = path;
      path = undefined;
    }
    if (!path) {
      path = this.config.socketRoot + this.config.appspace + this.config.id;
      this.log(
        'Server path not specified, so defaulting to',
        'ipc.config.socketRoot + ipc.config.appspace + ipc.config.id',
        path,
      );
    }
    const server = new IpcServer(this.config, this.#log, path);
    server.on('start', callback ?? noop);
    this.server = server;
  }

  serveNet(host?: string, port?: number, UDPType?: 'udp4' | 'udp6', callback?: Callback): void;
  serveNet(UDPType: 'udp4' | 'udp6', callback?: Callback): void;
  serveNet(callbackOrPort: Callback | number): void;
  serveNet(host: string, port: number, callback?: Callback): void;
  serveNet(host?: any, port?: any, UDPType?: any, callback?: any): void {
    if (typeof host === 'number') {
      callback = UDPType;
      UDPType = port;
      port = host;
      host = undefined;
    }
    if (typeof host === 'function') {
      callback = host;
      UDPType = undefined;
      host = undefined;
      port = undefined;
    }
    if (typeof host === 'string' && (host.toLowerCase() === 'udp4' || host.toLowerCase() === 'udp6')) {
      callback = port;
      UDPType = host.toLowerCase();
      host = undefined;
      port = undefined;
    }
    if (!host) {
      host = this.config.networkHost;
      this.log('Server host not specified, so defaulting to', 'ipc.config.networkHost', host);
    }
    if (typeof port === 'string') {
      callback = UDPType;
      UDPType = port;
      port = undefined;
    }
    if (typeof port === 'function') {
      callback = port;
      UDPType = undefined;
      port = undefined;
    }
    if (typeof UDPType === 'function') {
      callback = UDPType;
      UDPType = undefined;
    }
    // node-ipc turned 0 into networkPort; here 0 asks for any free port (server.port tells which).
    if (typeof port !== 'number') {
      port = this.config.networkPort;
      this.log('Server port not specified, so defaulting to', 'ipc.config.networkPort', port);
    }
    if (UDPType === 'udp4' && host === '::1') host = '127.0.0.1';
    const server = new IpcServer(this.config, this.#log, host, port);
    if (UDPType === 'udp4' || UDPType === 'udp6') server[UDPType as 'udp4' | 'udp6'] = true;
    server.on('start', typeof callback === 'function' ? callback : noop);
    this.server = server;
  }

  private open(id: string, target: { id: string; path: string; port?: number }, callback?: Callback): void {
    const existing = this.of[id] as IpcClient | undefined;
    if (existing !== undefined && !existing.destroyed) {
      this.log('Already Connected to', id, '- So executing success without connection');
      if (callback) existing.whenConnected(callback);
      return;
    }
    const client = new IpcClient(this.config, this.#log, target, callback);
    this.of[id] = client;
    client.connect();
  }
}
