export interface Deadline {
  /** Date.now() at which it expires. */
  deadline: number;
  /** Set once the request is answered: the queue skips it. */
  settled: boolean;
}

/** Settled entries tolerated behind a slow head before the queue is compacted. */
const COMPACT_AFTER = 1024;

/**
 * Timeouts for the requests that use a connection's default timeout. Their
 * deadlines arrive in order, so a FIFO and one timer serve them all: a
 * setTimeout/clearTimeout pair per request costs more than the rest of a
 * small request's bookkeeping. Settled entries leave from the head at once
 * and are compacted out from behind a slow head, so memory follows the live
 * requests, not the throughput.
 */
export class DeadlineQueue<T extends Deadline> {
  /** Entries before `head` are cleared, so a settled request's result is not kept alive here. */
  private items: Array<T | undefined> = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = 0;
  private firing = false;

  constructor(private readonly onExpire: (item: T) => void) {}

  get size(): number {
    return this.items.length - this.head;
  }

  add(item: T): void {
    this.items.push(item);
    if (this.timer === undefined) this.arm(item.deadline);
  }

  /** Call after marking an item settled. */
  settle(item: T): void {
    if (this.firing) return;
    if (this.items[this.head] === item) this.dropSettledHead();
    else if (
      this.items.length - this.head > COMPACT_AFTER &&
      (this.items.length & (COMPACT_AFTER - 1)) === 0
    ) {
      this.compact();
    }
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.head = 0;
  }

  private dropSettledHead(): void {
    while (this.head < this.items.length && this.items[this.head]!.settled)
      this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head > COMPACT_AFTER) {
      this.compact();
    }
  }

  private compact(): void {
    this.items = this.items.slice(this.head).filter((item) => item !== undefined && !item.settled);
    this.head = 0;
  }

  private arm(deadline: number): void {
    this.armedFor = deadline;
    this.timer = setTimeout(() => this.fire(), Math.max(1, deadline - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = Date.now();
    this.firing = true;
    try {
      while (this.head < this.items.length) {
        const item = this.items[this.head]!;
        if (!item.settled && item.deadline > now) break;
        this.items[this.head++] = undefined;
        if (!item.settled) this.onExpire(item);
      }
    } finally {
      this.firing = false;
    }
    this.dropSettledHead();
    const next = this.items[this.head];
    if (next !== undefined && this.timer === undefined) this.arm(Math.max(next.deadline, this.armedFor + 1));
  }
}
