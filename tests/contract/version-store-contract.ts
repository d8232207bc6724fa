import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import type { VersionRecord, VersionStore } from '../../server/storage/version-store';
import type { OpenedStorage } from './opened-storage';

let docCounter = 0;
function newDocId(): DocId {
  docCounter++;
  return `v${docCounter}_${randomBytes(6).toString('hex')}` as DocId;
}

function version(docId: DocId, at: number, overrides: Partial<VersionRecord> = {}): VersionRecord {
  return { id: `ver_${randomBytes(8).toString('hex')}`, docId, createdAt: new Date(at), name: null, authors: [], ...overrides };
}

const bytes = (...values: number[]) => Uint8Array.from(values);

/**
 * The contract every VersionStore implementation passes (server/storage/version-store.ts
 * documents it; docs/PROTOCOL.md rules V1, V5). `open` returns an empty store; each test gets its own.
 */
export function runVersionStoreContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`VersionStore contract: ${name}`, () => {
    let opened: OpenedStorage;
    let versions: VersionStore;

    beforeEach(async () => {
      opened = await open();
      versions = opened.storage.versions;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    it('round-trips every field and the content, byte for byte', async () => {
      const docId = newDocId();
      const record = version(docId, 1_700_000_000_123, { name: 'Sent to the client', authors: ['Ada', 'Grace Hopper', 'Zoë 🚀'] });
      const content = Uint8Array.from(randomBytes(70_000));
      await versions.add(record, content);
      const read = await versions.read(docId, record.id);
      expect(read?.record).toEqual(record);
      expect(read && Buffer.from(read.content).equals(Buffer.from(content))).toBe(true);
      expect(await versions.list(docId)).toEqual([record]);
    });

    it('lists newest first; versions of one millisecond newest-added first; other documents apart (rule V1)', async () => {
      const [docId, other] = [newDocId(), newDocId()];
      const old = version(docId, 1_700_000_000_000);
      const newest = version(docId, 1_700_000_009_000, { name: 'final' });
      const sameA = version(docId, 1_700_000_005_000);
      const sameB = version(docId, 1_700_000_005_000);
      for (const record of [sameA, newest, old, sameB]) await versions.add(record, bytes(1));
      await versions.add(version(other, 1_700_000_007_000), bytes(2));
      expect((await versions.list(docId)).map((v) => v.id)).toEqual([newest.id, sameB.id, sameA.id, old.id]);
      expect(await versions.list(newDocId())).toEqual([]);
    });

    it('read is scoped to the document: another document\'s id or an unknown id is null', async () => {
      const [docId, other] = [newDocId(), newDocId()];
      const record = version(docId, 1_700_000_000_000);
      await versions.add(record, bytes(7));
      expect(await versions.read(other, record.id)).toBeNull();
      expect(await versions.read(docId, 'no-such-version')).toBeNull();
    });

    it('add of a taken id rejects and keeps the first', async () => {
      const docId = newDocId();
      const record = version(docId, 1_700_000_000_000);
      await versions.add(record, bytes(1));
      await expect(versions.add({ ...record, name: 'other' }, bytes(2))).rejects.toThrow();
      expect(await versions.list(docId)).toEqual([record]);
    });

    it('remove deletes only the given versions of that document and counts them', async () => {
      const [docId, other] = [newDocId(), newDocId()];
      const [a, b, c] = [version(docId, 1), version(docId, 2), version(docId, 3)];
      const foreign = version(other, 4);
      for (const record of [a, b, c, foreign]) await versions.add(record, bytes(1));
      expect(await versions.remove(docId, [a.id, c.id, foreign.id, 'unknown'])).toBe(2);
      expect(await versions.list(docId)).toEqual([b]);
      expect(await versions.list(other)).toEqual([foreign]);
      expect(await versions.remove(docId, [])).toBe(0);
    });

    it('removeAll deletes every version of the document and nothing else', async () => {
      const [docId, other] = [newDocId(), newDocId()];
      await versions.add(version(docId, 1), bytes(1));
      await versions.add(version(docId, 2), bytes(1));
      const kept = version(other, 3);
      await versions.add(kept, bytes(1));
      await versions.removeAll(docId);
      expect(await versions.list(docId)).toEqual([]);
      expect(await versions.list(other)).toEqual([kept]);
    });

    it('versions are untouched by compacting or removing the document log (rule V5)', async () => {
      const docId = newDocId();
      const record = version(docId, 1_700_000_000_000, { name: 'kept' });
      await versions.add(record, bytes(9, 9));
      await opened.storage.log.append([{ docId, update: bytes(1) }, { docId, update: bytes(2) }]);
      const stored = await opened.storage.log.load(docId);
      await opened.storage.log.compact(docId, bytes(3), stored.throughSeq);
      expect(await versions.list(docId)).toEqual([record]);
      await opened.storage.log.remove(docId);
      expect([...((await versions.read(docId, record.id))?.content ?? [])]).toEqual([9, 9]);
    });

    it('everything acknowledged is there after close and reopen', async () => {
      const docId = newDocId();
      const record = version(docId, 1_700_000_000_000, { authors: ['Ada'] });
      await versions.add(record, bytes(4, 5, 6));
      await opened.storage.close();
      const reopened = await opened.reopen();
      try {
        expect(await reopened.versions.list(docId)).toEqual([record]);
        expect([...((await reopened.versions.read(docId, record.id))?.content ?? [])]).toEqual([4, 5, 6]);
      } finally {
        await reopened.close();
      }
    });
  });
}
