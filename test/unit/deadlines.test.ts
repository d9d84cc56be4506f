import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Deadline, DeadlineQueue } from '../../lib/connection/deadlines.ts';

interface Item extends Deadline {
  n: number;
}

describe('DeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const expired: number[] = [];
    const queue = new DeadlineQueue<Item>((item) => {
      item.settled = true;
      expired.push(item.n);
      queue.settle(item);
    });
    const add = (n: number, timeout: number): Item => {
      const item = { n, deadline: Date.now() + timeout, settled: false };
      queue.add(item);
      return item;
    };
    const settle = (item: Item) => {
      item.settled = true;
      queue.settle(item);
    };
    return { queue, expired, add, settle };
  }

  it('expires unanswered items at their deadline, in order, with one timer', () => {
    const { expired, add, settle } = setup();
    const a = add(1, 100);
    vi.advanceTimersByTime(30);
    add(2, 100);
    const c = add(3, 100);
    settle(c);
    vi.advanceTimersByTime(69);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(expired).toEqual([1]);
    expect(a.settled).toBe(true);
    vi.advanceTimersByTime(30);
    expect(expired).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never expires what was answered, and empties as answers arrive in order', () => {
    const { queue, expired, add, settle } = setup();
    const items = Array.from({ length: 10_000 }, (_, i) => add(i, 1_000));
    for (const item of items) settle(item);
    expect(queue.size).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(expired).toEqual([]);
  });

  it('keeps memory to the live items behind a slow head', () => {
    const { queue, expired, add, settle } = setup();
    add(-1, 1_000); // never answered: stays at the head until it expires
    for (let i = 0; i < 100_000; i++) settle(add(i, 1_000));
    expect(queue.size).toBeLessThan(3_000);
    vi.advanceTimersByTime(1_001);
    expect(expired).toEqual([-1]);
    expect(queue.size).toBe(0);
  });
});
