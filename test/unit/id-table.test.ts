import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdTable } from '../../lib/connection/id-table.ts';

type Op = { op: 'add' | 'delete' | 'get'; id: number };

// Ids that collide on purpose: a few homes, runs of consecutive ids, and ids near 2^32.
const idArb = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 0, max: 20 }).map((k) => k * 16 + 3),
  fc.integer({ min: 0, max: 600 }).map((k) => k * 4096 + 15),
  fc.integer({ min: 0xffffffff - 20, max: 0xffffffff }),
  fc.integer({ min: 1, max: 0xffffffff }),
);
const opArb: fc.Arbitrary<Op> = fc.record({
  op: fc.constantFrom('add', 'delete', 'get'),
  id: idArb,
}) as fc.Arbitrary<Op>;

describe('IdTable', () => {
  it('behaves as a Map from id to entry under any sequence of adds, deletes and lookups', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const table = new IdTable<{ id: number }>();
        const model = new Map<number, { id: number }>();
        for (const { op, id } of ops) {
          if (op === 'add') {
            if (model.has(id)) continue; // add() is only called with a free id
            const entry = { id };
            table.add(entry);
            model.set(id, entry);
          } else if (op === 'delete') {
            expect(table.delete(id)).toBe(model.get(id));
            model.delete(id);
          } else {
            expect(table.get(id)).toBe(model.get(id));
            expect(table.has(id)).toBe(model.has(id));
          }
          expect(table.size).toBe(model.size);
        }
        for (const [id, entry] of model) expect(table.get(id)).toBe(entry);
        expect(new Set(table.values())).toEqual(new Set(model.values()));
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its first size, and goes back to it once emptied', () => {
    const table = new IdTable<{ id: number }>();
    for (let id = 1; id <= 5_000; id++) table.add({ id });
    expect(table.size).toBe(5_000);
    // 5,000 consecutive ids: 4,096 direct slots, the rest in the overflow map, all found.
    for (let id = 1; id <= 5_000; id++) expect(table.get(id)?.id).toBe(id);
    for (let id = 1; id <= 5_000; id += 2) expect(table.delete(id)?.id).toBe(id);
    for (let id = 2; id <= 5_000; id += 2) expect(table.get(id)?.id).toBe(id);
    for (let id = 2; id <= 5_000; id += 2) table.delete(id);
    expect(table.size).toBe(0);
    expect((table as unknown as { slots: unknown[] }).slots).toHaveLength(16);
    expect((table as unknown as { overflow: unknown }).overflow).toBeUndefined();
    table.add({ id: 7 });
    expect(table.get(7)?.id).toBe(7);
  });
});
