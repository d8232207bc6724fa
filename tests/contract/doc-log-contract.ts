import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { DocLog, StoredDoc, UpdateEntry } from '../../server/storage/doc-log';
import type { OpenedStorage } from './opened-storage';
import * as prng from 'lib0/prng';
import { seededRandom } from '../helpers/seed';


const hex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
const hexes = (list: readonly Uint8Array[]): (string | null)[] => list.map(hex);

let docCounter = 0;
/** A fresh document id per call (unique across runs too, for stores that are not emptied). */
function newDocId(): DocId {
  docCounter++;
  return `c${docCounter}_${randomBytes(6).toString('hex')}` as DocId;
}


const bytesOf = (...values: number[]) => Uint8Array.from(values);

function buildDoc(stored: StoredDoc): Y.Doc {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const update of stored.updates) Y.applyUpdate(doc, update);
  return doc;
}

/** Folds the stored log into a snapshot, as rooms/compaction does. */
async function foldLog(log: DocLog, docId: DocId): Promise<boolean> {
  const stored = await log.load(docId);
  if (stored.updates.length === 0) return false;
  const doc = buildDoc(stored);
  const snapshot = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return log.compact(docId, snapshot, stored.throughSeq);
}

/**
 * The contract every DocLog implementation passes (server/storage/doc-log.ts documents it).
 * `open` returns an empty store; each test gets its own.
 */
export function runDocLogContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`DocLog contract: ${name}`, () => {
    let opened: OpenedStorage;
    let log: DocLog;

    beforeEach(async () => {
      opened = await open();
      log = opened.storage.log;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('a document with nothing stored loads empty', async () => {
      const empty: StoredDoc = { snapshot: null, updates: [], throughSeq: 0, snapshotStateVector: null };
      expect(await log.load(newDocId())).toEqual(empty);
    });

    describe('update log', () => {
      it('appends across several documents in one call, each log in order', async () => {
        const [a, b, c] = [newDocId(), newDocId(), newDocId()];
        const batch: UpdateEntry[] = [];
        // 150: past the SQLite log's 64 rows per INSERT twice, with a remainder.
        for (let i = 0; i < 150; i++) batch.push({ docId: [a, b, c][i % 3]!, update: bytesOf(i, 0, i) });
        await log.append(batch);
        await log.append([{ docId: b, update: bytesOf(200) }]);
        const expected = (docId: DocId) => hexes(batch.filter((e) => e.docId === docId).map((e) => e.update));
        const [la, lb, lc] = await Promise.all([log.load(a), log.load(b), log.load(c)]);
        expect(hexes(la.updates)).toEqual(expected(a));
        expect(hexes(lb.updates)).toEqual([...expected(b), hex(bytesOf(200))]);
        expect(hexes(lc.updates)).toEqual(expected(c));
        for (const loaded of [la, lb, lc]) expect(loaded.snapshot).toBeNull();
        // Sequence numbers are shared: the later append to b is newer than everything before it.
        expect(lb.throughSeq).toBeGreaterThan(Math.max(la.throughSeq, lc.throughSeq));
      });

      it('an empty append is a no-op', async () => {
        const docId = newDocId();
        await log.append([]);
        expect(await log.load(docId)).toEqual({ snapshot: null, updates: [], throughSeq: 0, snapshotStateVector: null });
      });

      it('throughSeq grows with every append', async () => {
        const docId = newDocId();
        let previous = 0;
        for (let i = 0; i < 5; i++) {
          await log.append([{ docId, update: bytesOf(i) }]);
          const { throughSeq } = await log.load(docId);
          expect(throughSeq).toBeGreaterThan(previous);
          previous = throughSeq;
        }
      });

      it('a batch with a bad entry stores none of its entries', async () => {
        const [a, b] = [newDocId(), newDocId()];
        await log.append([{ docId: a, update: bytesOf(1) }]);
        const before = await log.load(a);
        const bad: UpdateEntry[] = [
          { docId: a, update: bytesOf(2) },
          { docId: b, update: bytesOf(3) },
          // NULL violates the NOT NULL column in every implementation: the whole batch must roll back.
          { docId: a, update: null as unknown as Uint8Array },
        ];
        await expect(log.append(bad)).rejects.toThrow();
        expect(await log.load(a)).toEqual(before);
        expect((await log.load(b)).updates).toEqual([]);
        // And the store still works afterwards.
        await log.append([{ docId: b, update: bytesOf(4) }]);
        expect(hexes((await log.load(b)).updates)).toEqual([hex(bytesOf(4))]);
      });

      it('concurrent appends all land, each caller\'s entries in its order', async () => {
        const docId = newDocId();
        const callers = 8;
        const perCaller = 15;
        await Promise.all(
          Array.from({ length: callers }, async (_, caller) => {
            for (let i = 0; i < perCaller; i++) await log.append([{ docId, update: bytesOf(caller, i) }]);
          }),
        );
        const { updates } = await log.load(docId);
        expect(updates).toHaveLength(callers * perCaller);
        for (let caller = 0; caller < callers; caller++) {
          const mine = updates.filter((u) => u[0] === caller).map((u) => u[1]);
          expect(mine).toEqual(Array.from({ length: perCaller }, (_, i) => i));
        }
      });

      it('binary data round-trips byte for byte, zeros and large entries included', async () => {
        const docId = newDocId();
        const { gen } = seededRandom(`${name} storage: binary data`);
        const entries = [0, 1, 2, 255, 4096, 300_000].map((length) => ({ docId, update: prng.uint8Array(gen, length) }));
        entries.push({ docId, update: new Uint8Array(1000) });
        await log.append(entries);
        expect(hexes((await log.load(docId)).updates)).toEqual(hexes(entries.map((e) => e.update)));
      });
    });


    describe('compact', () => {
      it('replaces the snapshot, deletes the entries it covers and keeps later ones', async () => {
        const docId = newDocId();
        await log.append([1, 2, 3].map((v) => ({ docId, update: bytesOf(v) })));
        const first = await log.load(docId);
        // Appended after the compaction read the log: not covered, must survive.
        await log.append([4, 5].map((v) => ({ docId, update: bytesOf(v) })));
        const snapshot = bytesOf(9, 9, 9);
        expect(await log.compact(docId, snapshot, first.throughSeq)).toBe(true);
        const after = await log.load(docId);
        expect(hex(after.snapshot)).toBe(hex(snapshot));
        expect(hexes(after.updates)).toEqual([hex(bytesOf(4)), hex(bytesOf(5))]);
        expect(after.throughSeq).toBeGreaterThan(first.throughSeq);
      });

      it('a document whose log is empty after compaction reports the snapshot\'s sequence number', async () => {
        const docId = newDocId();
        await log.append([{ docId, update: bytesOf(1) }]);
        const { throughSeq } = await log.load(docId);
        expect(await log.compact(docId, bytesOf(7), throughSeq)).toBe(true);
        expect(hexes([...(await log.load(docId)).updates])).toEqual([]);
        expect(await log.load(docId)).toEqual(expect.objectContaining({ throughSeq }));
      });

      it('refuses to go back in time: an older or equal throughSeq changes nothing', async () => {
        const docId = newDocId();
        await log.append([{ docId, update: bytesOf(1) }]);
        const older = await log.load(docId);
        await log.append([{ docId, update: bytesOf(2) }]);
        const newer = await log.load(docId);
        await log.append([{ docId, update: bytesOf(3) }]);

        expect(await log.compact(docId, bytesOf(0xbb), newer.throughSeq)).toBe(true);
        expect(await log.compact(docId, bytesOf(0xaa), older.throughSeq)).toBe(false);
        expect(await log.compact(docId, bytesOf(0xcc), newer.throughSeq)).toBe(false);
        const after = await log.load(docId);
        expect(hex(after.snapshot)).toBe(hex(bytesOf(0xbb)));
        expect(hexes(after.updates)).toEqual([hex(bytesOf(3))]);
      });

      it('keeps the state vector given with a snapshot, replaces it with the next, and has none for a snapshot given without', async () => {
        const docId = newDocId();
        await log.append([1, 2, 3].map((v) => ({ docId, update: bytesOf(v) })));
        const first = await log.load(docId);
        expect(first.snapshotStateVector ?? null).toBeNull();
        expect(await log.compact(docId, bytesOf(9), first.throughSeq, bytesOf(1, 0xaa))).toBe(true);
        expect(hex((await log.load(docId)).snapshotStateVector ?? null)).toBe(hex(bytesOf(1, 0xaa)));
        // An older compaction changes neither the snapshot nor its state vector.
        expect(await log.compact(docId, bytesOf(8), first.throughSeq - 1, bytesOf(1, 0xbb))).toBe(false);
        expect(hex((await log.load(docId)).snapshotStateVector ?? null)).toBe(hex(bytesOf(1, 0xaa)));
        await log.append([{ docId, update: bytesOf(4) }]);
        expect(await log.compact(docId, bytesOf(7), (await log.load(docId)).throughSeq)).toBe(true);
        expect((await log.load(docId)).snapshotStateVector ?? null).toBeNull();
      });

      it('of a document with nothing stored writes the snapshot', async () => {
        const docId = newDocId();
        expect(await log.compact(docId, bytesOf(1), 1)).toBe(true);
        expect(hex((await log.load(docId)).snapshot)).toBe(hex(bytesOf(1)));
      });

      it('concurrent compactions: the newest wins whichever commits first', async () => {
        for (const order of ['older first', 'newer first'] as const) {
          const docId = newDocId();
            await log.append([{ docId, update: bytesOf(1) }]);
          const older = await log.load(docId);
          await log.append([{ docId, update: bytesOf(2) }]);
          const newer = await log.load(docId);
          await log.append([{ docId, update: bytesOf(3) }]);
          const runs = [() => log.compact(docId, bytesOf(0xaa), older.throughSeq), () => log.compact(docId, bytesOf(0xbb), newer.throughSeq)];
          if (order === 'newer first') runs.reverse();
          const results = await Promise.all(runs.map((run) => run()));
          expect(results.filter(Boolean).length, order).toBeGreaterThanOrEqual(1);
          const after = await log.load(docId);
          expect(hex(after.snapshot), order).toBe(hex(bytesOf(0xbb)));
          expect(hexes(after.updates), order).toEqual([hex(bytesOf(3))]);
        }
      });

      it('loses nothing when appends and compactions run at the same time', async () => {
        const docId = newDocId();
        const writers = Array.from({ length: 6 }, (_, i) => {
          const doc = new Y.Doc();
          doc.clientID = 1000 + i;
          return doc;
        });
        const reference = new Y.Doc();
        let writing = true;
        const write = Promise.all(
          writers.map(async (doc, w) => {
            for (let n = 0; n < 25; n++) {
              const updates: Uint8Array[] = [];
              const onUpdate = (u: Uint8Array) => updates.push(u);
              doc.on('update', onUpdate);
              doc.getText('t').insert(0, `w${w}n${n};`);
              doc.getMap('m').set(`w${w}`, n);
              doc.off('update', onUpdate);
              for (const u of updates) Y.applyUpdate(reference, u);
              await log.append(updates.map((update) => ({ docId, update })));
            }
          }),
        ).finally(() => {
          writing = false;
        });
        let compactions = 0;
        const compactLoop = (async () => {
          while (writing) if (await foldLog(log, docId)) compactions++;
        })();
        await Promise.all([write, compactLoop]);
        await foldLog(log, docId);
        const loaded = buildDoc(await log.load(docId));
        expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(reference));
        expect(loaded.getText('t').toString()).toBe(reference.getText('t').toString());
        expect(loaded.getMap('m').toJSON()).toEqual(reference.getMap('m').toJSON());
        expect(compactions).toBeGreaterThan(0);
      });
    });


    describe('Yjs documents', () => {
      it('a long random edit history round-trips through appends and compactions', async () => {
        const { gen } = seededRandom(`${name} storage: Yjs history`);
        const random = { int: (min: number, max: number) => prng.int32(gen, min, max), next: () => prng.real53(gen) };
        const docId = newDocId();
        const source = new Y.Doc();
        const pending: Uint8Array[] = [];
        source.on('update', (u: Uint8Array) => pending.push(u));
        const text = source.getText('t');
        const map = source.getMap('m');
        const list = source.getArray<number>('a');
        for (let step = 0; step < 600; step++) {
          const op = random.int(0, 9);
          if (op < 5) text.insert(random.int(0, text.length), String.fromCharCode(97 + random.int(0, 25)).repeat(random.int(1, 4)));
          else if (op < 7 && text.length > 0) {
            const at = random.int(0, text.length - 1);
            text.delete(at, Math.min(random.int(1, 5), text.length - at));
          } else if (op < 8) map.set(`k${random.int(0, 20)}`, random.int(0, 1e6));
          else if (op < 9) list.insert(random.int(0, list.length), [random.int(0, 100)]);
          else if (list.length > 0) list.delete(random.int(0, list.length - 1), 1);
          // Flush in batches of random size, and fold the log now and then.
          if (pending.length > 0 && random.next() < 0.3) {
            await log.append(pending.splice(0).map((update) => ({ docId, update })));
            if (random.next() < 0.1) await foldLog(log, docId);
          }
        }
        await log.append(pending.splice(0).map((update) => ({ docId, update })));
        const loaded = buildDoc(await log.load(docId));
        expect(loaded.getText('t').toString()).toBe(text.toString());
        expect(loaded.getMap('m').toJSON()).toEqual(map.toJSON());
        expect(loaded.getArray('a').toJSON()).toEqual(list.toJSON());
        expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(source));
      });
    });


    describe('remove', () => {
      it('deletes the snapshot and the log of one document only', async () => {
        const [docId, other] = [newDocId(), newDocId()];
        await log.append([1, 2].map((v) => ({ docId, update: bytesOf(v) })));
        await log.compact(docId, bytesOf(9), (await log.load(docId)).throughSeq);
        await log.append([{ docId, update: bytesOf(3) }, { docId: other, update: bytesOf(4) }]);
        await log.remove(docId);
        expect(await log.load(docId)).toEqual({ snapshot: null, updates: [], throughSeq: 0, snapshotStateVector: null });
        expect(hexes((await log.load(other)).updates)).toEqual([hex(bytesOf(4))]);
      });
    });

    it('everything acknowledged is there after close and reopen', async () => {
      const docId = newDocId();
      await log.append([1, 2].map((v) => ({ docId, update: bytesOf(v) })));
      const compacted = await log.load(docId);
      await log.compact(docId, bytesOf(0xee), compacted.throughSeq);
      await log.append([{ docId, update: bytesOf(3) }]);
      const before = await log.load(docId);
      await opened.storage.close();
      const reopened = await opened.reopen();
      try {
        const after = await reopened.log.load(docId);
        expect({ ...after, snapshot: hex(after.snapshot), updates: hexes(after.updates) }).toEqual({
          ...before,
          snapshot: hex(before.snapshot),
          updates: hexes(before.updates),
        });
        // Sequence numbers keep growing after a restart.
        await reopened.log.append([{ docId, update: bytesOf(4) }]);
        expect((await reopened.log.load(docId)).throughSeq).toBeGreaterThan(before.throughSeq);
      } finally {
        await reopened.close();
      }
    });
  });
}
