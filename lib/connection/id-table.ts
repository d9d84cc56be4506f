/** The direct-mapped part stops growing here; ids that collide beyond it go to a Map. */
const MAX_DIRECT = 4096;

/**
 * Entries keyed by their request id. Request ids count up, so the ones in
 * flight at a time map one to one onto `id & mask` of a power-of-two array
 * as long as it is larger than the span of ids in flight: a lookup is an
 * index and a compare. An id whose slot is taken by another grows the array
 * (up to MAX_DIRECT slots) or, past that, goes to an overflow Map: a request
 * that hangs while thousands of others come and go costs a Map entry now and
 * then, not a larger array. It costs far fewer instructions per request than a
 * Map (bench/instructions.mjs counts them).
 */
export class IdTable<T extends { readonly id: number }> {
  private slots: Array<T | undefined>;
  private mask: number;
  private overflow: Map<number, T> | undefined;
  private count = 0;

  constructor(private readonly initialCapacity = 16) {
    this.slots = new Array<T | undefined>(initialCapacity).fill(undefined);
    this.mask = initialCapacity - 1;
  }

  get size(): number {
    return this.count;
  }

  get(id: number): T | undefined {
    const entry = this.slots[id & this.mask];
    if (entry !== undefined && entry.id === id) return entry;
    return this.overflow?.get(id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Adds ENTRY; its id must not be in the table. */
  add(entry: T): void {
    this.count++;
    for (;;) {
      const i = entry.id & this.mask;
      if (this.slots[i] === undefined) {
        this.slots[i] = entry;
        return;
      }
      if (this.slots.length >= MAX_DIRECT) {
        this.overflow ??= new Map();
        this.overflow.set(entry.id, entry);
        return;
      }
      this.resize(this.slots.length * 2);
    }
  }

  /** Removes the entry with ID; returns it, or undefined if there was none. */
  delete(id: number): T | undefined {
    const i = id & this.mask;
    let entry = this.slots[i];
    if (entry !== undefined && entry.id === id) {
      this.slots[i] = undefined;
    } else {
      entry = this.overflow?.get(id);
      if (entry === undefined) return undefined;
      this.overflow!.delete(id);
    }
    this.count--;
    // A table that once held many and is empty again goes back to its first size.
    if (this.count === 0 && this.slots.length > 1024) this.clear();
    return entry;
  }

  values(): T[] {
    const out = this.slots.filter((entry): entry is T => entry !== undefined);
    if (this.overflow) out.push(...this.overflow.values());
    return out;
  }

  clear(): void {
    this.slots = new Array<T | undefined>(this.initialCapacity).fill(undefined);
    this.mask = this.initialCapacity - 1;
    this.overflow = undefined;
    this.count = 0;
  }

  /**
   * Doubles the array. Entries in distinct slots modulo n are distinct modulo
   * 2n, so none collides; the overflow map only exists once the array has
   * stopped growing, so there is nothing in it to move.
   */
  private resize(capacity: number): void {
    const old = this.slots;
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (const entry of old) if (entry !== undefined) this.slots[entry.id & this.mask] = entry;
  }
}
