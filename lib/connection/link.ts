import type { Encoded } from '../protocol/index.ts';

/** Why this side stopped reading; reading resumes when no reason is left. */
export enum ReadPause {
  InFlight = 1,
  WriteBackpressure = 2,
  SlowStreamReader = 4,
  /** The server-wide budget for buffered input is spent. */
  InputBudget = 8,
}

/** What the request bookkeeping (incoming.ts, outgoing.ts) needs from its connection. */
export interface Link {
  readonly id: number;
  /** Open, or closing gracefully: frames may still be written. */
  readonly writable: boolean;
  /** Closing gracefully: no new work is accepted. */
  readonly closing: boolean;
  send(frame: Encoded): boolean;
  /** Encodes a message straight into the write batch; returns its body size, or -1 if over `maxBody`. */
  message(kind: number, id: number, meta: string, value: unknown, maxBody?: number): number;
  /** Date.now(), read once for everything that leaves in the current write batch. */
  batchTime(): number;
  /** False while the socket is backed up. */
  readonly ready: boolean;
  waitDrain(): Promise<void>;
  setReadPause(reason: ReadPause, on: boolean): void;
  /** Called when requests finish either way, so a graceful close can proceed. */
  checkIdle(): void;
  /** The bytes held back in the backlog changed (the input budget counts them). */
  inputChanged(): void;
}
