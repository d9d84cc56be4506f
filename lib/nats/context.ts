import type { IpcError } from '../errors.ts';

/** The client a request came from, as a handler sees it. */
export interface NatsPeer {
  /** The client's NATS inbox: the same for all its requests, whichever server instance runs them. */
  readonly id: string;
  readonly transport: 'nats';
  /** Sends an event to this client only (INBOX.e.EVENT). Returns false once the server is closed. */
  notify(event: string, data?: unknown): boolean;
}

/** The second argument of every handler, as on a socket path. */
export interface NatsRequestContext {
  /** A number unique within this server instance (0 for notifications). */
  readonly id: number;
  readonly method: string;
  /**
   * Aborted when the caller cancels or times out, when the server closes before the handler is
   * done, and for a stream whose client has stopped sending credit (it may be gone: NATS has no
   * connection to watch).
   */
  readonly signal: AbortSignal;
  readonly peer: NatsPeer;
}

/** A method handler: `(params, ctx) => result | Promise<result> | AsyncIterable<item>`. */
export type NatsHandler = (params: any, ctx: NatsRequestContext) => unknown;

/**
 * One request being handled. As on a socket path, the AbortController is made only if the
 * handler reads `signal`.
 */
export class ServerCall implements NatsRequestContext {
  done = false;
  iterator: AsyncIterator<unknown> | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: IpcError | undefined = undefined;
  private peerHandle: NatsPeer | undefined = undefined;

  constructor(
    readonly id: number,
    readonly method: string,
    /** Where the answer goes (undefined for a notification). */
    readonly reply: string | undefined,
    private readonly inbox: string | undefined,
    private readonly makePeer: (inbox: string | undefined) => NatsPeer,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get peer(): NatsPeer {
    this.peerHandle ??= this.makePeer(this.inbox);
    return this.peerHandle;
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  abort(reason: IpcError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const it = this.iterator;
    if (it?.return) {
      Promise.resolve()
        .then(() => it.return?.())
        .catch(() => {});
    }
  }
}
