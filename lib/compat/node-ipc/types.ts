// The public types of `unixipc/node-ipc`, written by hand in the shape @types/node-ipc 9.2.3
// declares (so code typed against it compiles unchanged), with node-ipc's runtime-only fields
// and this package's extensions marked as such. Users need not install @types/node-ipc.
import type { Socket } from '../../transport/index.ts';

/** Socket options a TCP client passes to `net.connect` (`false`: leave Node's default). */
export interface NetInterface {
  localAddress?: string | boolean | undefined;
  localPort?: number | boolean | undefined;
  family?: number | boolean | undefined;
  hints?: number | boolean | undefined;
  lookup?: ((...args: any[]) => void) | boolean | undefined;
}

/** node-ipc 14's parser profiles (custom parser classes are not supported). */
export type ParserProfile = 'fast' | 'guarded' | 'assured' | 'raw';

export interface Config {
  /** Used in the socket path: `socketRoot + appspace + id`. @default 'app.' */
  appspace: string;
  /** The directory of socket paths. @default '/tmp/' */
  socketRoot: string;
  /** The id of this socket or service. @default os.hostname() */
  id: string;
  /** The host TCP and UDP sockets use. @default '127.0.0.1' (the types' doc says 'localhost') */
  networkHost: string;
  /** The port TCP and UDP sockets use. @default 8000 */
  networkPort: number;
  /** Makes the socket readable by all users. @default false */
  readableAll: boolean;
  /** Makes the socket writable by all users (needed to connect). @default false */
  writableAll: boolean;
  /** The encoding of strings written in `rawBuffer` mode. @default 'utf8' */
  encoding: 'ascii' | 'utf8' | 'utf16le' | 'ucs2' | 'base64' | 'hex';
  /** Send and receive raw bytes (a `data` event) instead of JSON messages. @default false */
  rawBuffer: boolean;
  /** A client sends its next message only after the server has sent one. @default false */
  sync: boolean;
  /** No `ipc.log` output. @default false (node-ipc logs by default) */
  silent: boolean;
  /** util.inspect colors in `ipc.log`. @default true */
  logInColor: boolean;
  /** util.inspect depth in `ipc.log`. @default 5 */
  logDepth: number;
  /** Receives `ipc.log`'s output. @default console.log */
  logger(msg: string): void;
  /** Connections a stream server accepts at once. @default 100 */
  maxConnections: number;
  /** Milliseconds between reconnection attempts. @default 500 */
  retry: number;
  /**
   * Reconnection attempts after each disconnect. node-ipc's runtime uses a number (default
   * Infinity); the types say boolean: `false` and `true` mean no limit here. @default Infinity
   */
  maxRetries: boolean | number;
  /** Stop reconnecting (read at each disconnect). @default false */
  stopRetrying: boolean;
  /**
   * Reclaim a stale socket left at the path by a dead server before listening. A live
   * server's socket and anything that is not a socket are never removed. @default true
   */
  unlink: boolean;
  /** The name @types/node-ipc gives to `interface` (the same object here). */
  interfaces: NetInterface;
  /** Not supported: anything but `false` is an ERR_IPC_BAD_OPTION (no bundled key). @default false */
  tls: {
    rejectUnauthorized?: boolean | undefined;
    public?: string | undefined;
    private?: string | undefined;
  };

  // node-ipc's runtime fields that @types/node-ipc lacks.
  /** What ends each message. @default '\f' */
  delimiter?: string;
  /** node-ipc's runtime name for `interfaces`. */
  interface?: NetInterface;
  /** Include payloads in the library's own `ipc.log` lines. @default false */
  logPayloads?: boolean;

  // node-ipc 14's fields.
  /**
   * 'fast': peer messages named like a local event (`error`, `connect`, ...) are dropped.
   * 'guarded': such a message, an over-long name or a non-object closes that connection.
   * 'assured': guarded plus `allowedEvents`, on unix sockets only. 'raw': `rawBuffer`.
   * @default 'fast'
   */
  parser?: ParserProfile;
  /**
   * The first `data.id` a peer sends names its socket (`socket.id`, and the id in
   * `socket.disconnected`); later ones and one another live socket holds are ignored.
   * A claim, not an identity. @default true
   */
  identifyPeer?: boolean;
  /** Largest message accepted, in bytes, whatever the parser. @default 64 MiB */
  maxMessageSize?: number;
  /** Most bytes queued for writing to one peer; past it that connection closes. @default 64 MiB */
  maxPendingBytes?: number;
  /** Longest message name under 'guarded' and 'assured'. @default 256 */
  maxEventNameLength?: number;
  /** Milliseconds an incomplete message may wait for its end (0: no limit). @default 30000 */
  messageTimeout?: number;
  /** Dispatch peer messages named like local events (not under 'assured'). @default false */
  allowReservedEvents?: boolean;
  /** The names 'assured' sends and accepts. @default false */
  allowedEvents?: false | readonly string[] | ReadonlySet<string>;
  /** The socket directory is checked (owner us or root, not writable by others unless sticky). Always on. @default true */
  secureSocketRoot?: boolean;
}

/** Extension: options of `ipc.of[id].request()`. */
export interface RequestOptions {
  /** The message type of the answer. @default the request's own type */
  reply?: string;
  /** Which answer is this request's (for servers that answer out of order). @default the first in order */
  match?: (data: any) => boolean;
  /** Milliseconds before it rejects with ERR_IPC_TIMEOUT. @default 30000 */
  timeout?: number;
  /** Rejects with ERR_IPC_ABORTED when aborted. */
  signal?: AbortSignal;
}

/** What clients and servers share: node-ipc's event registry (`emit` sends a message). */
export interface Events<Self> {
  /** A message of that type arrived: `callback(data)` (a server's: `callback(data, socket)`). */
  on(event: string, callback: (...args: any[]) => void): Self;
  on(event: 'error', callback: (err: any) => void): Self;
  /** connect: connected; disconnect: a connection was lost; destroy: no more retries. */
  on(event: 'connect' | 'disconnect' | 'destroy', callback: () => void): Self;
  on(event: 'socket.disconnected', callback: (socket: Socket, destroyedSocketID: string) => void): Self;
  /** `rawBuffer` mode: bytes arrived. */
  on(event: 'data', callback: (buffer: Buffer) => void): Self;
  /** Sends `{ type: event, data: value }`; in `rawBuffer` mode sends `event` itself (bytes or a string). */
  emit(event: string | Buffer, value?: any): Self;
  off(event: string, handler: any): Self;
  /** Runtime extra: a handler called once. */
  once(event: string, callback: (...args: any[]) => void): Self;
}

/** `ipc.of[id]`. Messages emitted before it is connected are sent once it is. */
export interface Client extends Events<Client> {
  /**
   * Extension (not in node-ipc): sends `type` and resolves with the data of the
   * answer, the next message of type `options.reply` (default: `type`).
   * @example const user = await ipc.of.world.request('getUser', { id: 7 }, { reply: 'user' });
   */
  request(type: string, data?: any, options?: RequestOptions): Promise<any>;
}

export interface SocketConfig {
  address?: string | undefined;
  port?: number | undefined;
}

/** `ipc.server`, after `ipc.serve()` or `ipc.serveNet()`. */
export interface Server extends Events<Server> {
  /** Starts serving (after `serve` or `serveNet`). */
  start(): void;
  /** Stops accepting, closes each connection after its queued writes, removes its own socket file. */
  stop(): void;
  /** Without a socket (the types' first two shapes), every client gets it. */
  emit(value: any): Server;
  emit(event: string, value: any): Server;
  emit(socket: Socket | SocketConfig, event: string, value?: any): Server;
  emit(socketConfig: Socket | SocketConfig, value?: any): Server;
  broadcast(event: string, value?: any): Server;
}

export interface IPC {
  config: Config;
  log(...args: any[]): void;
  connectTo(id: string, path?: string, callback?: () => void): void;
  connectTo(id: string, callback?: () => void): void;
  connectToNet(id: string, host?: string, port?: number, callback?: () => void): void;
  connectToNet(id: string, callback?: () => void): void;
  connectToNet(id: string, hostOrPort: number | string, callback?: () => void): void;
  disconnect(id: string): void;
  serve(path: string, callback?: () => void): void;
  serve(callback?: () => void): void;
  serve(callback: null): void;
  serveNet(host?: string, port?: number, UDPType?: 'udp4' | 'udp6', callback?: () => void): void;
  serveNet(UDPType: 'udp4' | 'udp6', callback?: () => void): void;
  serveNet(callbackOrPort: (() => void) | number): void;
  serveNet(host: string, port: number, callback?: () => void): void;
  of: Record<string, Client>;
  server: Server;
}

/** The module's value: an IPC instance that also carries the class, and itself as `default`. */
export interface RootIPC extends IPC {
  IPC: new () => IPC;
  default: RootIPC;
}
