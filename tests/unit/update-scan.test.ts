/**
 * The room reads typed updates in place for the dependency check (rule D9) instead of decoding
 * them with Yjs: it must give Yjs's answer for every update it reads, and must read what typing
 * sends. Seeded random edits by several clients (the seed is printed), delivered to a server
 * document with some withheld, so that many updates really do miss something.
 */
import { describe, expect, it } from 'vitest';
import * as prng from 'lib0/prng';
import * as Y from 'yjs';
import { hasMissingDependencies } from '../../server/rooms/dependencies';
import { UpdateScan } from '../../server/rooms/update-scan';
import { seededRandom } from '../helpers/seed';

const TEXT = 'é漢字 abc\n😀';

function randomEdits(gen: prng.PRNG, clients: number, edits: number): Uint8Array[] {
  const docs = Array.from({ length: clients }, () => new Y.Doc());
  const updates: Uint8Array[] = [];
  docs.forEach((doc, i) =>
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'remote') return;
      updates.push(update);
      // Most peers hear of it at once; some only later, so they edit without it.
      docs.forEach((other, j) => {
        if (j !== i && prng.bool(gen)) Y.applyUpdate(other, update, 'remote');
      });
    }),
  );
  for (let e = 0; e < edits; e++) {
    const doc = prng.oneOf(gen, docs);
    const text = doc.getText('t');
    if (text.length > 0 && prng.int32(gen, 0, 3) === 0) {
      const at = prng.int32(gen, 0, text.length - 1);
      text.delete(at, prng.int32(gen, 1, Math.min(3, text.length - at)));
    } else {
      text.insert(prng.int32(gen, 0, text.length), prng.oneOf(gen, [...TEXT]).repeat(prng.int32(gen, 1, 3)));
    }
  }
  return updates;
}

describe('reading an update in place for the dependency check', () => {
  it('answers as Yjs does for every update, against documents that lack some of what came before', () => {
    const { gen } = seededRandom('update-scan');
    const updates = randomEdits(gen, 3, 300);
    const merged = [Y.mergeUpdates(updates.slice(0, 40)), Y.mergeUpdates(updates.filter((_, i) => i % 3 === 0))];
    const scan = new UpdateScan();
    const server = new Y.Doc();
    let read = 0;
    let missing = 0;
    const all = [...updates, ...merged];
    for (const [index, update] of all.entries()) {
      const expected = hasMissingDependencies(server, Y.decodeUpdate(update));
      if (scan.read(update)) {
        read++;
        expect(scan.hasMissingDependencies(server)).toBe(expected);
        expect(scan.isEmpty).toBe(false);
      }
      if (expected) missing++;
      // The server takes about two in three (those that miss something wait inside Yjs), so the
      // next ones may lack what it skipped; now and then it catches up on everything so far.
      if (prng.int32(gen, 0, 9) === 0) Y.applyUpdate(server, Y.mergeUpdates(all.slice(0, index + 1)));
      else if (prng.int32(gen, 0, 2) > 0) Y.applyUpdate(server, update);
    }
    // Typing is read in place (text, deletions, merged updates with skips), and the check is tested both ways.
    expect(read).toBe(updates.length + merged.length);
    expect(missing).toBeGreaterThan(10);
    expect(missing).toBeLessThan(read - 10);
  });

  it('reads an empty update as empty, and gives up on truncated bytes and struct kinds it does not read', () => {
    const scan = new UpdateScan();
    expect(scan.read(Y.encodeStateAsUpdate(new Y.Doc()))).toBe(true);
    expect(scan.isEmpty).toBe(true);

    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hello');
    const typed = Y.encodeStateAsUpdate(doc);
    expect(scan.read(typed)).toBe(true);
    expect(scan.read(typed.subarray(0, typed.length - 2))).toBe(false);
    expect(scan.read(Uint8Array.of(...typed, 0))).toBe(false);

    const other = new Y.Doc();
    other.getMap('m').set('k', { any: 1 });
    expect(scan.read(Y.encodeStateAsUpdate(other))).toBe(false);
  });
});
