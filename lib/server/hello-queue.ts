import type { Connection } from '../connection/connection.ts';
import { debug } from '../debug.ts';
import { ErrorCodes, IpcError } from '../errors.ts';
import { readTcpTable, type Socket, socketUid, type TrustedUids } from '../transport/index.ts';

/** At most one /proc/net/tcp scan for other users' connections in this many ms... */
const FOREIGN_SCAN_MS = 250;

/**
 * The connections that have not said hello yet: any local user may have
 * opened them (over TCP), so they have a budget of their own, apart from
 * maxConnections, and cannot crowd out connections that have shown the token.
 */
export class HelloQueue {
  /** Oldest first, with their sockets (for their peer's uid). */
  private readonly waiting = new Map<Connection, Socket>();
  private lastScan = 0;
  private acceptsSinceScan = 0;

  constructor(
    private readonly limit: number,
    private readonly trusted: TrustedUids,
    /** Over TCP, the peer's uid can be looked up; over AF_UNIX only this user (or root) can connect. */
    private readonly tcp: () => boolean,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  /** A new connection waits for its hello; past the limit, room is made first. */
  add(connection: Connection, socket: Socket): void {
    if (this.waiting.size >= this.limit) this.makeRoom();
    this.waiting.set(connection, socket);
  }

  /** It said hello, or closed: true if it was waiting. */
  delete(connection: Connection): boolean {
    return this.waiting.delete(connection);
  }

  keys(): IterableIterator<Connection> {
    return this.waiting.keys();
  }

  /**
   * Over TCP on Linux, first drop the waiting connections another user opened
   * (their peer's uid is in /proc/net/tcp: they could not have the token); if
   * that freed nothing, the oldest waiting one, which has had the longest to say
   * hello (a client of ours says it within a moment of connecting).
   */
  private makeRoom(): void {
    // The scan reads every TCP socket of the machine: at most once per FOREIGN_SCAN_MS, or once
    // per `limit` accepts when connections come faster (its cost per accept stays bounded by the limit).
    const now = Date.now();
    this.acceptsSinceScan++;
    if (this.tcp() && (now - this.lastScan >= FOREIGN_SCAN_MS || this.acceptsSinceScan >= this.limit)) {
      this.lastScan = now;
      this.acceptsSinceScan = 0;
      this.dropForeign();
    }
    if (this.waiting.size < this.limit) return;
    const oldest = this.waiting.keys().next().value!;
    oldest.destroy(new IpcError(ErrorCodes.CLOSED, 'dropped: too many connections are waiting to say hello'));
  }

  private dropForeign(): void {
    const tables = new Map<boolean, string | undefined>();
    for (const [connection, socket] of this.waiting) {
      const v6 = (socket.remoteAddress ?? '').includes(':');
      if (!tables.has(v6)) tables.set(v6, readTcpTable(v6));
      const table = tables.get(v6);
      if (table === undefined) return;
      const uid = socketUid(
        table,
        { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
        { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
      );
      if (uid !== undefined && !this.trusted.has(uid)) {
        connection.destroy(new IpcError(ErrorCodes.AUTH, `a connection from uid ${uid} before any hello`));
      }
    }
    debug('hello queue: dropped the waiting connections of other users; %d wait', this.waiting.size);
  }
}
