import { fsp } from '../builtins.ts';
import { debug } from '../debug.ts';
import { systemCode } from '../errors.ts';
import type { Listener } from './listener.ts';

export interface WatchdogHooks {
  current(): Listener;
  /** The path stayed missing: re-create it (or, when fatal, shut down). */
  lost(): Promise<void>;
  /** Another socket, descriptor or file took the path: stand down for good. */
  superseded(kind: string): void;
}

/**
 * Notices when a server's socket file is removed or replaced while it runs
 * (a cleanup script, a careless second program): Node keeps "listening" on
 * an inode nobody can reach. One lstat per interval, never two at once.
 * It acts on a missing path only after it has stayed missing for two checks,
 * and never fights a newer server: anything else at the path makes it stand down.
 */
export class PathWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private missing = 0;
  private stopped = false;

  constructor(
    private readonly path: string,
    intervalMs: number,
    private readonly hooks: WatchdogHooks,
  ) {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (await this.hooks.current().ownsPath()) {
        this.missing = 0;
        return;
      }
      let kind: string | undefined;
      try {
        const st = await fsp().lstat(this.path);
        kind = st.isSocket() ? 'socket' : st.isFile() ? 'file or descriptor' : 'something else';
      } catch (error) {
        if (systemCode(error) !== 'ENOENT') return;
      }
      if (this.stopped) return;
      if (kind !== undefined) {
        debug('watchdog %s: a %s replaced our socket; standing down', this.path, kind);
        this.stop();
        this.hooks.superseded(kind);
        return;
      }
      if (++this.missing < 2) return;
      this.missing = 0;
      debug('watchdog %s: the path has been missing for two checks', this.path);
      await this.hooks.lost();
    } finally {
      this.busy = false;
    }
  }
}
