import type { IpcError } from '../errors.ts';

/** What a handler can do with the connection its request came on. */
export interface Peer {
  /** A number unique within the server, for logs and per-peer state. */
  readonly id: number;
  /** 'unix' or 'tcp'. */
  readonly transport: string;
  /** Sends an event to this peer only. Returns false while its socket is backed up. */
  notify(event: string, data?: unknown): boolean;
}

/** The second argument of every handler. */
export interface RequestContext {
  /** The request id on this connection (0 for notifications). */
  readonly id: number;
  readonly method: string;
  /** Aborted when the caller cancels or times out, or the connection closes. */
  readonly signal: AbortSignal;
  /** The connection this request came on. */
  readonly peer: Peer;
}

/**
 * One incoming request being handled. Its AbortController is created only if
 * the handler reads `signal`: most handlers never do, and it is not free.
 */
export class IncomingCall implements RequestContext {
  /** Answered, cancelled, or its connection closed: nothing more is sent for it. */
  done = false;
  /** Its handler slot has been given back (when the handler settles, whatever happened before). */
  released = false;
  iterator: AsyncIterator<unknown> | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: IpcError | undefined = undefined;

  constructor(
    readonly id: number,
    readonly method: string,
    readonly peer: Peer,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
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
