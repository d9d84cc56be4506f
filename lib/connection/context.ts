import type { IpcError } from '../errors.ts';
import type { Peer, RequestContext } from '../types/server.ts';

export type { Peer, RequestContext } from '../types/server.ts';

let never: AbortSignal | undefined;

/** A signal that never aborts: `ctx.closing` where nothing closes (a client's own handlers). */
export function neverAborted(): AbortSignal {
  never ??= new AbortController().signal;
  return never;
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
    readonly closing: AbortSignal,
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
