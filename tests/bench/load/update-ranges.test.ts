/**
 * The load generator identifies every delivered edit by reading the update's struct headers in
 * place (update-ranges.ts); it must name the same (client, clock) ranges Yjs does, or deliveries
 * would be miscounted. Random documents, seeded (the seed is printed).
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { updateRanges } from './update-ranges';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Yjs's ranges for an update without gaps: one per client. */
function yjsRanges(update: Uint8Array): number[][] {
  const meta = Y.parseUpdateMeta(update);
  return [...meta.to].map(([client, to]) => [client, meta.from.get(client) ?? 0, to]).sort((a, b) => a[0]! - b[0]!);
}

function ours(update: Uint8Array, offset = 0): number[][] {
  const framed = new Uint8Array(offset + update.length + 3);
  framed.set(update, offset);
  const out: number[] = [];
  const count = updateRanges(framed, offset, offset + update.length, out);
  expect(count).toBeGreaterThanOrEqual(0);
  return Array.from({ length: count }, (_, i) => out.slice(i * 3, i * 3 + 3)).sort((a, b) => a[0]! - b[0]!);
}

describe('reading which edits an update carries, in place', () => {
  it('names the ranges Yjs names, for single edits and merged updates', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`update-ranges seed ${seed}`);
    const next = random(seed);
    const docs = Array.from({ length: 4 }, () => new Y.Doc());
    const updates: Uint8Array[] = [];
    for (const doc of docs) doc.on('update', (update: Uint8Array, origin: unknown) => origin !== 'remote' && updates.push(update));
    for (let step = 0; step < 400; step += 1) {
      const doc = docs[Math.floor(next() * docs.length)]!;
      const text = doc.getText('bench');
      const roll = next();
      if (roll < 0.6) text.insert(Math.floor(next() * (text.length + 1)), next() < 0.8 ? 'x' : 'é😀');
      else if (roll < 0.8 && text.length > 0) text.delete(Math.floor(next() * text.length), 1);
      else doc.getMap('meta').set('k', step); // a struct this reader does not know: must say so
      if (next() < 0.3) {
        const other = docs[Math.floor(next() * docs.length)]!;
        Y.applyUpdate(other, Y.encodeStateAsUpdate(doc), 'remote');
      }
    }
    let read = 0;
    for (const update of [...updates, Y.mergeUpdates(updates.slice(0, 50)), Y.encodeStateAsUpdate(docs[0]!)]) {
      const out: number[] = [];
      if (updateRanges(update, 0, update.length, out) < 0) continue;
      read += 1;
      expect(ours(update, 5)).toEqual(yjsRanges(update));
    }
    expect(read).toBeGreaterThan(updates.length / 2);
  });

  it('reports structs it does not read instead of guessing', () => {
    const doc = new Y.Doc();
    let update: Uint8Array = new Uint8Array();
    doc.on('update', (u: Uint8Array) => (update = u));
    doc.getMap('meta').set('k', 1);
    expect(updateRanges(update, 0, update.length, [])).toBe(-1);
  });
});
