type Handler = (...args: any[]) => void;

const ALL = '*';

/**
 * node-ipc's event registry (event-pubsub), not Node's EventEmitter: `emit`
 * is taken by "send a message", so events are dispatched with `publish`; an
 * `error` with no handler is ignored rather than thrown; `'*'` handlers get
 * every event, its name first; `off('*', '*')` removes the `'*'` handlers and
 * `off(type)` all of a type's. Handlers live in a Map: a message named
 * `__proto__` or `constructor` is just another name.
 */
export class EventRegistry {
  private readonly handlers = new Map<string, { handler: Handler; once: boolean }[]>();

  on(type: string, handler: Handler, once = false): this {
    if (typeof type !== 'string') throw new TypeError('the event type must be a string');
    if (typeof handler !== 'function') throw new TypeError('the handler must be a function');
    let list = this.handlers.get(type);
    if (list === undefined) {
      list = [];
      this.handlers.set(type, list);
    }
    list.push({ handler, once });
    return this;
  }

  once(type: string, handler: Handler): this {
    return this.on(type, handler, true);
  }

  off(type: string = ALL, handler: Handler | '*' = ALL): this {
    const list = this.handlers.get(type);
    if (list === undefined) return this;
    if (handler === ALL) {
      this.handlers.delete(type);
      return this;
    }
    const kept = list.filter((entry) => entry.handler !== handler);
    if (kept.length === 0) this.handlers.delete(type);
    else this.handlers.set(type, kept);
    return this;
  }

  /** Removes every handler of every type. */
  reset(): this {
    this.handlers.clear();
    return this;
  }

  /** Dispatches an event to its handlers, after the `'*'` ones. */
  publish(type: string, ...args: unknown[]): this {
    this.run(ALL, [type, ...args]);
    if (type !== ALL) this.run(type, args);
    return this;
  }

  /** Whether anyone listens for TYPE (or for everything). */
  listens(type: string): boolean {
    return this.handlers.has(type) || this.handlers.has(ALL);
  }

  private run(type: string, args: unknown[]): void {
    const list = this.handlers.get(type);
    if (list === undefined) return;
    // A snapshot: handlers added while dispatching wait for the next event; a once is gone first.
    const snapshot = list.slice();
    if (snapshot.some((entry) => entry.once)) {
      const kept = list.filter((entry) => !entry.once);
      if (kept.length === 0) this.handlers.delete(type);
      else this.handlers.set(type, kept);
    }
    for (const entry of snapshot) entry.handler(...args);
  }
}
