export interface HeartbeatHooks {
  /** Bytes still queued for the peer: a peer that drains them is alive. */
  queuedBytes(): number;
  /** True while we ourselves stopped reading (slow handlers, a slow stream consumer): silence proves nothing then. */
  pausedByUs(): boolean;
  ping(): void;
  dead(): void;
}

/**
 * Half-open and stuck peers: once per interval, all quiet since the last
 * beat → PING; still quiet at the next beat → the peer is dead. Anything
 * heard (`heard()` on every read) resets it.
 */
export class Heartbeat {
  private readonly timer: NodeJS.Timeout;
  private heardSince = false;
  private pinged = false;
  private lastQueued = 0;

  constructor(
    intervalMs: number,
    private readonly hooks: HeartbeatHooks,
  ) {
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  heard(): void {
    this.heardSince = true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const queued = this.hooks.queuedBytes();
    const draining = queued < this.lastQueued;
    this.lastQueued = queued;
    if (this.heardSince || draining || this.hooks.pausedByUs()) {
      this.heardSince = false;
      this.pinged = false;
      return;
    }
    if (this.pinged) {
      this.stop();
      this.hooks.dead();
      return;
    }
    this.pinged = true;
    this.hooks.ping();
  }
}
