/** What a heartbeat asks of its connection (methods, not closures: an idle connection stays small). */
export interface HeartbeatHooks {
  /** Bytes still queued for the peer: a peer that drains them is alive. */
  heartbeatQueuedBytes(): number;
  /** True while we ourselves stopped reading (slow handlers, a slow stream consumer): silence proves nothing then. */
  heartbeatPausedByUs(): boolean;
  heartbeatPing(): void;
  heartbeatDead(): void;
}

/** One timer per interval for all connections, not one per connection: idle connections are cheap. */
const tickers = new Map<number, { timer: NodeJS.Timeout; beats: Set<Heartbeat> }>();

/**
 * Half-open and stuck peers: once per interval, all quiet since the last
 * beat → PING; still quiet at the next beat → the peer is dead. Anything
 * heard (`heard()` on every read) resets it.
 */
export class Heartbeat {
  private heardSince = false;
  private pinged = false;
  private lastQueued = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly hooks: HeartbeatHooks,
  ) {
    let ticker = tickers.get(intervalMs);
    if (ticker === undefined) {
      const beats = new Set<Heartbeat>();
      const timer = setInterval(() => {
        for (const heartbeat of beats) heartbeat.beat();
      }, intervalMs);
      timer.unref();
      ticker = { timer, beats };
      tickers.set(intervalMs, ticker);
    }
    ticker.beats.add(this);
  }

  heard(): void {
    this.heardSince = true;
  }

  stop(): void {
    const ticker = tickers.get(this.intervalMs);
    if (ticker === undefined || !ticker.beats.delete(this)) return;
    if (ticker.beats.size === 0) {
      clearInterval(ticker.timer);
      tickers.delete(this.intervalMs);
    }
  }

  /** Called once per interval by the shared timer. */
  beat(): void {
    const queued = this.hooks.heartbeatQueuedBytes();
    const draining = queued < this.lastQueued;
    this.lastQueued = queued;
    if (this.heardSince || draining || this.hooks.heartbeatPausedByUs()) {
      this.heardSince = false;
      this.pinged = false;
      return;
    }
    if (this.pinged) {
      this.stop();
      this.hooks.heartbeatDead();
      return;
    }
    this.pinged = true;
    this.hooks.heartbeatPing();
  }
}
