import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import { DocExistsError, type LinkRecord, type Storage, type StoredDoc, type UpdateEntry } from '../../server/storage/storage';
import * as prng from 'lib0/prng';
import { seededRandom } from '../helpers/seed';

/** One storage under test, empty when opened. */
export interface OpenedStorage {
  readonly storage: Storage;
  /** Opens a second Storage on the same data (same directory, same schema), after `storage` was closed. */
  reopen(): Promise<Storage>;
  /** Closes whatever is still open and deletes the data. */
  cleanup(): Promise<void>;
}

const hex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
const hexes = (list: readonly Uint8Array[]): (string | null)[] => list.map(hex);

let docCounter = 0;
/** A fresh document id per call (unique across runs too, for stores that are not emptied). */
function newDocId(): DocId {
  docCounter++;
  return `c${docCounter}_${randomBytes(6).toString('hex')}` as DocId;
}

function link(docId: DocId, role: Role, overrides: Partial<LinkRecord> = {}): LinkRecord {
  return {
    id: `l_${randomBytes(8).toString('hex')}`,
    docId,
    role,
    keyHash: randomBytes(32).toString('hex'),
    // Whole milliseconds: a JavaScript Date cannot hold more, so every store must round-trip it exactly.
    createdAt: new Date(1_700_000_000_000),
    expiresAt: null,
    revokedAt: null,
    ...overrides,
  };
}

const bytesOf = (...values: number[]) => Uint8Array.from(values);

function buildDoc(stored: StoredDoc): Y.Doc {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const update of stored.updates) Y.applyUpdate(doc, update);
  return doc;
}

/** Folds the stored log into a snapshot, as rooms/compaction does. */
async function foldLog(storage: Storage, docId: DocId): Promise<boolean> {
  const stored = await storage.loadDoc(docId);
  if (stored.updates.length === 0) return false;
  const doc = buildDoc(stored);
  const snapshot = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return storage.compact(docId, snapshot, stored.throughSeq);
}

/**
 * The contract every Storage implementation passes (server/storage/storage.ts documents it).
 * `open` returns an empty store; each test gets its own.
 */
export function runStorageContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`Storage contract: ${name}`, () => {
    let opened: OpenedStorage;
    let storage: Storage;

    beforeEach(async () => {
      opened = await open();
      storage = opened.storage;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    describe('documents', () => {
      it('createDoc makes the document exist, with its owner link', async () => {
        const docId = newDocId();
        expect(await storage.docExists(docId)).toBe(false);
        const owner = link(docId, 'owner');
        await storage.createDoc(docId, owner);
        expect(await storage.docExists(docId)).toBe(true);
        expect(await storage.listLinks(docId)).toEqual([owner]);
      });

      it('createDoc of a taken id rejects with DocExistsError and changes nothing', async () => {
        const docId = newDocId();
        const owner = link(docId, 'owner');
        await storage.createDoc(docId, owner);
        const second = link(docId, 'owner');
        await expect(storage.createDoc(docId, second)).rejects.toBeInstanceOf(DocExistsError);
        expect(await storage.listLinks(docId)).toEqual([owner]);
      });

      it('concurrent createDoc of one id: exactly one wins', async () => {
        const docId = newDocId();
        const owners = Array.from({ length: 5 }, () => link(docId, 'owner'));
        const results = await Promise.allSettled(owners.map((owner) => storage.createDoc(docId, owner)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [owners[i]!] : []));
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DocExistsError);
        expect(await storage.listLinks(docId)).toEqual(won);
      });

      it('a document with no content loads empty', async () => {
        const created = newDocId();
        await storage.createDoc(created, link(created, 'owner'));
        const empty: StoredDoc = { snapshot: null, updates: [], throughSeq: 0 };
        expect(await storage.loadDoc(created)).toEqual(empty);
        expect(await storage.loadDoc(newDocId())).toEqual(empty);
      });
    });

    describe('links', () => {
      it('round-trips every field and lists oldest first, revoked ones included', async () => {
        const docId = newDocId();
        const other = newDocId();
        const owner = link(docId, 'owner', { createdAt: new Date(1_700_000_000_000) });
        await storage.createDoc(docId, owner);
        await storage.createDoc(other, link(other, 'owner'));
        const later = link(docId, 'view', { createdAt: new Date(1_700_000_003_000), expiresAt: new Date(1_800_000_000_123) });
        const earlier = link(docId, 'edit', { createdAt: new Date(1_700_000_001_000), revokedAt: new Date(1_700_000_002_999) });
        await storage.addLink(later);
        await storage.addLink(earlier);
        await storage.addLink(link(other, 'edit'));
        expect(await storage.listLinks(docId)).toEqual([owner, earlier, later]);
      });

      it('links created in the same millisecond list in the order they were added', async () => {
        const docId = newDocId();
        const at = new Date(1_700_000_000_500);
        const owner = link(docId, 'owner', { createdAt: at });
        await storage.createDoc(docId, owner);
        const added = Array.from({ length: 6 }, (_, i) => link(docId, i % 2 ? 'view' : 'edit', { createdAt: at, id: `same_${5 - i}_${randomBytes(4).toString('hex')}` }));
        for (const l of added) await storage.addLink(l);
        expect((await storage.listLinks(docId)).map((l) => l.id)).toEqual([owner, ...added].map((l) => l.id));
      });

      it('an unknown document has no links', async () => {
        expect(await storage.listLinks(newDocId())).toEqual([]);
      });

      it('revokeLink marks the link; revoking again keeps the first time', async () => {
        const docId = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
        const shared = link(docId, 'edit');
        await storage.addLink(shared);
        const first = new Date(1_700_000_100_000);
        expect(await storage.revokeLink(docId, shared.id, first)).toBe(true);
        expect(await storage.revokeLink(docId, shared.id, new Date(1_700_000_200_000))).toBe(true);
        const listed = (await storage.listLinks(docId)).find((l) => l.id === shared.id);
        expect(listed).toEqual({ ...shared, revokedAt: first });
      });

      it('revokeLink of an unknown link, or of another document\'s link, is false and changes nothing', async () => {
        const docId = newDocId();
        const other = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
        await storage.createDoc(other, link(other, 'owner'));
        const foreign = link(other, 'view');
        await storage.addLink(foreign);
        expect(await storage.revokeLink(docId, 'no-such-link', new Date())).toBe(false);
        expect(await storage.revokeLink(docId, foreign.id, new Date())).toBe(false);
        expect(await storage.revokeLink(newDocId(), foreign.id, new Date())).toBe(false);
        expect((await storage.listLinks(other)).find((l) => l.id === foreign.id)?.revokedAt).toBeNull();
      });
    });

    describe('update log', () => {
      it('appends across several documents in one call, each log in order', async () => {
        const [a, b, c] = [newDocId(), newDocId(), newDocId()];
        const batch: UpdateEntry[] = [];
        for (let i = 0; i < 30; i++) batch.push({ docId: [a, b, c][i % 3]!, update: bytesOf(i, 0, i) });
        await storage.appendUpdates(batch);
        await storage.appendUpdates([{ docId: b, update: bytesOf(200) }]);
        const expected = (docId: DocId) => hexes(batch.filter((e) => e.docId === docId).map((e) => e.update));
        const [la, lb, lc] = await Promise.all([storage.loadDoc(a), storage.loadDoc(b), storage.loadDoc(c)]);
        expect(hexes(la.updates)).toEqual(expected(a));
        expect(hexes(lb.updates)).toEqual([...expected(b), hex(bytesOf(200))]);
        expect(hexes(lc.updates)).toEqual(expected(c));
        for (const loaded of [la, lb, lc]) expect(loaded.snapshot).toBeNull();
        // Sequence numbers are shared: the later append to b is newer than everything before it.
        expect(lb.throughSeq).toBeGreaterThan(Math.max(la.throughSeq, lc.throughSeq));
      });

      it('an empty append is a no-op', async () => {
        const docId = newDocId();
        await storage.appendUpdates([]);
        expect(await storage.loadDoc(docId)).toEqual({ snapshot: null, updates: [], throughSeq: 0 });
      });

      it('throughSeq grows with every append', async () => {
        const docId = newDocId();
        let previous = 0;
        for (let i = 0; i < 5; i++) {
          await storage.appendUpdates([{ docId, update: bytesOf(i) }]);
          const { throughSeq } = await storage.loadDoc(docId);
          expect(throughSeq).toBeGreaterThan(previous);
          previous = throughSeq;
        }
      });

      it('a batch with a bad entry stores none of its entries', async () => {
        const [a, b] = [newDocId(), newDocId()];
        await storage.appendUpdates([{ docId: a, update: bytesOf(1) }]);
        const before = await storage.loadDoc(a);
        const bad: UpdateEntry[] = [
          { docId: a, update: bytesOf(2) },
          { docId: b, update: bytesOf(3) },
          // NULL violates the NOT NULL column in every implementation: the whole batch must roll back.
          { docId: a, update: null as unknown as Uint8Array },
        ];
        await expect(storage.appendUpdates(bad)).rejects.toThrow();
        expect(await storage.loadDoc(a)).toEqual(before);
        expect((await storage.loadDoc(b)).updates).toEqual([]);
        // And the store still works afterwards.
        await storage.appendUpdates([{ docId: b, update: bytesOf(4) }]);
        expect(hexes((await storage.loadDoc(b)).updates)).toEqual([hex(bytesOf(4))]);
      });

      it('concurrent appends all land, each caller\'s entries in its order', async () => {
        const docId = newDocId();
        const callers = 8;
        const perCaller = 15;
        await Promise.all(
          Array.from({ length: callers }, async (_, caller) => {
            for (let i = 0; i < perCaller; i++) await storage.appendUpdates([{ docId, update: bytesOf(caller, i) }]);
          }),
        );
        const { updates } = await storage.loadDoc(docId);
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
        await storage.appendUpdates(entries);
        expect(hexes((await storage.loadDoc(docId)).updates)).toEqual(hexes(entries.map((e) => e.update)));
      });
    });

    describe('compact', () => {
      it('replaces the snapshot, deletes the entries it covers and keeps later ones', async () => {
        const docId = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
        await storage.appendUpdates([1, 2, 3].map((v) => ({ docId, update: bytesOf(v) })));
        const first = await storage.loadDoc(docId);
        // Appended after the compaction read the log: not covered, must survive.
        await storage.appendUpdates([4, 5].map((v) => ({ docId, update: bytesOf(v) })));
        const snapshot = bytesOf(9, 9, 9);
        expect(await storage.compact(docId, snapshot, first.throughSeq)).toBe(true);
        const after = await storage.loadDoc(docId);
        expect(hex(after.snapshot)).toBe(hex(snapshot));
        expect(hexes(after.updates)).toEqual([hex(bytesOf(4)), hex(bytesOf(5))]);
        expect(after.throughSeq).toBeGreaterThan(first.throughSeq);
      });

      it('a document whose log is empty after compaction reports the snapshot\'s sequence number', async () => {
        const docId = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
        await storage.appendUpdates([{ docId, update: bytesOf(1) }]);
        const { throughSeq } = await storage.loadDoc(docId);
        expect(await storage.compact(docId, bytesOf(7), throughSeq)).toBe(true);
        expect(hexes([...(await storage.loadDoc(docId)).updates])).toEqual([]);
        expect(await storage.loadDoc(docId)).toEqual(expect.objectContaining({ throughSeq }));
      });

      it('refuses to go back in time: an older or equal throughSeq changes nothing', async () => {
        const docId = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
        await storage.appendUpdates([{ docId, update: bytesOf(1) }]);
        const older = await storage.loadDoc(docId);
        await storage.appendUpdates([{ docId, update: bytesOf(2) }]);
        const newer = await storage.loadDoc(docId);
        await storage.appendUpdates([{ docId, update: bytesOf(3) }]);

        expect(await storage.compact(docId, bytesOf(0xbb), newer.throughSeq)).toBe(true);
        expect(await storage.compact(docId, bytesOf(0xaa), older.throughSeq)).toBe(false);
        expect(await storage.compact(docId, bytesOf(0xcc), newer.throughSeq)).toBe(false);
        const after = await storage.loadDoc(docId);
        expect(hex(after.snapshot)).toBe(hex(bytesOf(0xbb)));
        expect(hexes(after.updates)).toEqual([hex(bytesOf(3))]);
      });

      it('of a document that was never created is false', async () => {
        expect(await storage.compact(newDocId(), bytesOf(1), 1)).toBe(false);
      });

      it('concurrent compactions: the newest wins whichever commits first', async () => {
        for (const order of ['older first', 'newer first'] as const) {
          const docId = newDocId();
          await storage.createDoc(docId, link(docId, 'owner'));
          await storage.appendUpdates([{ docId, update: bytesOf(1) }]);
          const older = await storage.loadDoc(docId);
          await storage.appendUpdates([{ docId, update: bytesOf(2) }]);
          const newer = await storage.loadDoc(docId);
          await storage.appendUpdates([{ docId, update: bytesOf(3) }]);
          const runs = [() => storage.compact(docId, bytesOf(0xaa), older.throughSeq), () => storage.compact(docId, bytesOf(0xbb), newer.throughSeq)];
          if (order === 'newer first') runs.reverse();
          const results = await Promise.all(runs.map((run) => run()));
          expect(results.filter(Boolean).length, order).toBeGreaterThanOrEqual(1);
          const after = await storage.loadDoc(docId);
          expect(hex(after.snapshot), order).toBe(hex(bytesOf(0xbb)));
          expect(hexes(after.updates), order).toEqual([hex(bytesOf(3))]);
        }
      });

      it('loses nothing when appends and compactions run at the same time', async () => {
        const docId = newDocId();
        await storage.createDoc(docId, link(docId, 'owner'));
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
              await storage.appendUpdates(updates.map((update) => ({ docId, update })));
            }
          }),
        ).finally(() => {
          writing = false;
        });
        let compactions = 0;
        const compactLoop = (async () => {
          while (writing) if (await foldLog(storage, docId)) compactions++;
        })();
        await Promise.all([write, compactLoop]);
        await foldLog(storage, docId);
        const loaded = buildDoc(await storage.loadDoc(docId));
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
        await storage.createDoc(docId, link(docId, 'owner'));
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
            await storage.appendUpdates(pending.splice(0).map((update) => ({ docId, update })));
            if (random.next() < 0.1) await foldLog(storage, docId);
          }
        }
        await storage.appendUpdates(pending.splice(0).map((update) => ({ docId, update })));
        const loaded = buildDoc(await storage.loadDoc(docId));
        expect(loaded.getText('t').toString()).toBe(text.toString());
        expect(loaded.getMap('m').toJSON()).toEqual(map.toJSON());
        expect(loaded.getArray('a').toJSON()).toEqual(list.toJSON());
        expect(Y.encodeStateVector(loaded)).toEqual(Y.encodeStateVector(source));
      });
    });

    describe('durability', () => {
      it('everything acknowledged is there after close and reopen', async () => {
        const docId = newDocId();
        const owner = link(docId, 'owner');
        await storage.createDoc(docId, owner);
        const shared = link(docId, 'view', { createdAt: new Date(1_700_000_005_000) });
        await storage.addLink(shared);
        await storage.revokeLink(docId, shared.id, new Date(1_700_000_006_000));
        await storage.appendUpdates([1, 2].map((v) => ({ docId, update: bytesOf(v) })));
        const compacted = await storage.loadDoc(docId);
        await storage.compact(docId, bytesOf(0xee), compacted.throughSeq);
        await storage.appendUpdates([{ docId, update: bytesOf(3) }]);
        const before = await storage.loadDoc(docId);
        await storage.close();

        const reopened = await opened.reopen();
        try {
          expect(await reopened.docExists(docId)).toBe(true);
          expect(await reopened.listLinks(docId)).toEqual([owner, { ...shared, revokedAt: new Date(1_700_000_006_000) }]);
          const after = await reopened.loadDoc(docId);
          expect({ ...after, snapshot: hex(after.snapshot), updates: hexes(after.updates) }).toEqual({
            ...before,
            snapshot: hex(before.snapshot),
            updates: hexes(before.updates),
          });
          // Sequence numbers keep growing after a restart.
          await reopened.appendUpdates([{ docId, update: bytesOf(4) }]);
          expect((await reopened.loadDoc(docId)).throughSeq).toBeGreaterThan(before.throughSeq);
        } finally {
          await reopened.close();
        }
      });
    });

    describe('health', () => {
      it('ping resolves while the store answers', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
      });

      it('close can be called twice', async () => {
        await storage.close();
        await expect(storage.close()).resolves.toBeUndefined();
      });
    });
  });
}
