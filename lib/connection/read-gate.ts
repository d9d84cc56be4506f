import type { InputHolder, ServerBudget } from './budget.ts';
import type { SocketLike } from './socket-like.ts';

/** Why this side stopped reading; reading resumes when no reason is left. */
export enum ReadPause {
  /** Handlers are at their limit and more than enough work waits for them. */
  InFlight = 1,
  /** The peer does not read our answers. */
  WriteBackpressure = 2,
  /** A stream() caller does not read its items. */
  SlowStreamReader = 4,
  /** The server-wide budget for buffered input is spent. */
  InputBudget = 8,
}

/**
 * Whether a connection reads from its socket: the reasons it stopped, and what
 * it holds of the server's input budget (a partial frame, frames held back).
 */
export class ReadGate implements InputHolder {
  private reasons = 0;
  private closed = false;
  /** Input bytes the server budget has counted for this connection. */
  inputCharged = 0;

  constructor(
    private readonly socket: SocketLike,
    private readonly budget: ServerBudget | undefined,
  ) {}

  set(reason: ReadPause, on: boolean): void {
    const before = this.reasons;
    this.reasons = on ? before | reason : before & ~reason;
    if (before === 0 && this.reasons !== 0) this.socket.pause();
    else if (before !== 0 && this.reasons === 0 && !this.closed) this.socket.resume();
  }

  /** Stopped by this side's own choice, not because the peer does not read: its silence proves nothing then. */
  get pausedByUs(): boolean {
    return (this.reasons & ~ReadPause.WriteBackpressure) !== 0;
  }

  /** The connection now holds HELD bytes of input. */
  charge(held: number): void {
    const budget = this.budget;
    if (budget === undefined || this.closed) return;
    const delta = held - this.inputCharged;
    if (delta === 0) return;
    this.inputCharged = held;
    budget.chargeInput(this, delta);
  }

  /** @internal The input budget asks this connection to stop (or resume) reading. */
  inputPaused(on: boolean): void {
    this.set(ReadPause.InputBudget, on);
  }

  /** The connection closed: what it held goes back to the budget. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.budget === undefined) return;
    const charged = this.inputCharged;
    this.inputCharged = 0;
    this.budget.forgetInput(this, charged);
  }
}
