/**
 * What one server lets all its peers together make it hold: handlers running
 * (notifications included), bytes of input buffered (partial frames, frames
 * held back), bytes of output queued for peers that do not read. Per
 * connection limits alone let many connections multiply them.
 */

/** A connection as the input budget sees it. */
export interface InputHolder {
  /** Bytes it holds now (what it was last charged for). */
  readonly inputCharged: number;
  /** Stop or resume reading for the budget's sake. */
  inputPaused(on: boolean): void;
}

/** A connection as the handler budget sees it. */
export interface HandlerWaiter {
  /** Room was made: run what you hold back, as far as your own limits allow. */
  handlerRoom(): void;
}

/** A connection as the output budget sees it. */
export interface OutputHolder {
  /** The server's output is over its budget and this peer reads the slowest: drop it. */
  outputOverflow(limit: number): void;
}

export interface BudgetLimits {
  /** Handlers running at once across all connections. */
  maxHandlers: number;
  /** Input bytes buffered at once across all connections. */
  maxBufferedBytes: number;
  /** Output bytes queued at once across all connections. */
  maxQueuedBytesTotal: number;
}

export class ServerBudget {
  handlers = 0;
  input = 0;
  output = 0;
  private readonly handlerWaiters = new Set<HandlerWaiter>();
  private readonly inputWaiters = new Set<InputHolder>();
  /** Connections charged for input bytes now. */
  private readonly inputHolders = new Set<InputHolder>();
  /** The one waiter let through while everyone holding input waits (see chargeInput). */
  private inputExempt: InputHolder | undefined;
  private readonly outputHolders = new Map<OutputHolder, number>();

  constructor(readonly limits: BudgetLimits) {}

  // ---- handlers ----

  /** Takes one handler slot; false (and WAITER is called back later) when none is left. */
  takeHandler(waiter: HandlerWaiter): boolean {
    if (this.handlers < this.limits.maxHandlers) {
      this.handlers++;
      return true;
    }
    this.handlerWaiters.add(waiter);
    return false;
  }

  releaseHandler(): void {
    this.handlers--;
    if (this.handlerWaiters.size === 0) return;
    // Oldest waiter first; it takes what it can, the next gets the rest.
    for (const waiter of this.handlerWaiters) {
      if (this.handlers >= this.limits.maxHandlers) return;
      this.handlerWaiters.delete(waiter);
      waiter.handlerRoom();
    }
  }

  forgetHandlerWaiter(waiter: HandlerWaiter): void {
    this.handlerWaiters.delete(waiter);
  }

  // ---- input ----

  /**
   * HOLDER now holds `delta` more (or fewer) bytes. Over the budget it stops
   * reading until others let go. If every holder is then waiting, nothing
   * would ever let go: the one holding the most (the nearest to completing a
   * frame, likely) reads on alone; its overshoot is bounded by maxFrameBytes.
   */
  chargeInput(holder: InputHolder, delta: number): void {
    this.input += delta;
    if (holder.inputCharged > 0) this.inputHolders.add(holder);
    else this.inputHolders.delete(holder);
    if (delta < 0) {
      if (holder === this.inputExempt && holder.inputCharged === 0) this.inputExempt = undefined;
      this.wakeInput();
      return;
    }
    if (this.input <= this.limits.maxBufferedBytes || holder === this.inputExempt) return;
    if (!this.inputWaiters.has(holder)) {
      this.inputWaiters.add(holder);
      holder.inputPaused(true);
    }
    if (this.inputExempt === undefined && this.allWaiting()) {
      let largest: InputHolder | undefined;
      for (const waiter of this.inputWaiters) {
        if (largest === undefined || waiter.inputCharged > largest.inputCharged) largest = waiter;
      }
      if (largest !== undefined) {
        this.inputExempt = largest;
        this.inputWaiters.delete(largest);
        largest.inputPaused(false);
      }
    }
  }

  /** A holder that closed: its bytes are gone and it waits no more (call after zeroing its charge). */
  forgetInput(holder: InputHolder, charged: number): void {
    this.inputWaiters.delete(holder);
    if (this.inputExempt === holder) this.inputExempt = undefined;
    this.chargeInput(holder, -charged);
  }

  /** Whether every holder of input bytes is waiting: then none of them would ever let go. */
  private allWaiting(): boolean {
    for (const holder of this.inputHolders) if (!this.inputWaiters.has(holder)) return false;
    return true;
  }

  private wakeInput(): void {
    for (const waiter of this.inputWaiters) {
      if (this.input > this.limits.maxBufferedBytes) return;
      this.inputWaiters.delete(waiter);
      waiter.inputPaused(false);
    }
  }

  // ---- output ----

  /** HOLDER now has `queued` bytes waiting to be written to its peer (0 once drained). */
  setOutput(holder: OutputHolder, queued: number): void {
    const before = this.outputHolders.get(holder) ?? 0;
    if (queued === before) return;
    this.output += queued - before;
    if (queued === 0) this.outputHolders.delete(holder);
    else this.outputHolders.set(holder, queued);
    if (this.output <= this.limits.maxQueuedBytesTotal) return;
    let slowest: OutputHolder | undefined;
    let most = 0;
    for (const [candidate, bytes] of this.outputHolders) {
      if (bytes > most) {
        most = bytes;
        slowest = candidate;
      }
    }
    if (slowest !== undefined) {
      this.setOutput(slowest, 0);
      slowest.outputOverflow(this.limits.maxQueuedBytesTotal);
    }
  }
}
