import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import { DocExistsError, type LinkRecord, type LinkStore } from '../../server/storage/link-store';
import type { OpenedStorage } from './opened-storage';



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




/**
 * The contract every LinkStore implementation passes (server/storage/link-store.ts documents it).
 * `open` returns an empty store; each test gets its own.
 */
export function runLinkStoreContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`LinkStore contract: ${name}`, () => {
    let opened: OpenedStorage;
    let links: LinkStore;

    beforeEach(async () => {
      opened = await open();
      links = opened.storage.links;
    });
    afterEach(async () => {
      await opened.cleanup();
    });

    describe('documents', () => {
      it('createDoc makes the document exist, with its owner link', async () => {
        const docId = newDocId();
        const owner = link(docId, 'owner');
        expect(await links.findLink(docId, owner.keyHash)).toBeNull();
        await links.createDoc(docId, owner);
        expect(await links.findLink(docId, owner.keyHash)).toEqual(owner);
        expect(await links.listLinks(docId)).toEqual([owner]);
      });

      it('createDoc of a taken id rejects with DocExistsError and changes nothing', async () => {
        const docId = newDocId();
        const owner = link(docId, 'owner');
        await links.createDoc(docId, owner);
        const second = link(docId, 'owner');
        await expect(links.createDoc(docId, second)).rejects.toBeInstanceOf(DocExistsError);
        expect(await links.listLinks(docId)).toEqual([owner]);
      });

      it('concurrent createDoc of one id: exactly one wins', async () => {
        const docId = newDocId();
        const owners = Array.from({ length: 5 }, () => link(docId, 'owner'));
        const results = await Promise.allSettled(owners.map((owner) => links.createDoc(docId, owner)));
        const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [owners[i]!] : []));
        expect(won).toHaveLength(1);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DocExistsError);
        expect(await links.listLinks(docId)).toEqual(won);
      });

      it('deleteDoc removes the document and every link of it, and nothing of another document', async () => {
        const [docId, other] = [newDocId(), newDocId()];
        const owner = link(docId, 'owner');
        const otherOwner = link(other, 'owner');
        await links.createDoc(docId, owner);
        await links.createDoc(other, otherOwner);
        const shared = link(docId, 'comment');
        await links.addLink(shared);
        expect(await links.deleteDoc(docId)).toBe(true);
        expect(await links.listLinks(docId)).toEqual([]);
        expect(await links.findLink(docId, owner.keyHash)).toBeNull();
        expect(await links.findLink(docId, shared.keyHash)).toBeNull();
        expect(await links.listLinks(other)).toEqual([otherOwner]);
        expect(await links.deleteDoc(docId)).toBe(false);
        // The id can be used again, as for a document that never existed.
        await links.createDoc(docId, link(docId, 'owner'));
      });
    });

    describe('links', () => {
      it('round-trips every field and lists oldest first, revoked ones included', async () => {
        const docId = newDocId();
        const other = newDocId();
        const owner = link(docId, 'owner', { createdAt: new Date(1_700_000_000_000) });
        await links.createDoc(docId, owner);
        await links.createDoc(other, link(other, 'owner'));
        const later = link(docId, 'view', { createdAt: new Date(1_700_000_003_000), expiresAt: new Date(1_800_000_000_123) });
        const earlier = link(docId, 'edit', { createdAt: new Date(1_700_000_001_000), revokedAt: new Date(1_700_000_002_999) });
        await links.addLink(later);
        await links.addLink(earlier);
        await links.addLink(link(other, 'edit'));
        expect(await links.listLinks(docId)).toEqual([owner, earlier, later]);
      });

      it('links created in the same millisecond list in the order they were added', async () => {
        const docId = newDocId();
        const at = new Date(1_700_000_000_500);
        const owner = link(docId, 'owner', { createdAt: at });
        await links.createDoc(docId, owner);
        const added = Array.from({ length: 6 }, (_, i) => link(docId, i % 2 ? 'view' : 'edit', { createdAt: at, id: `same_${5 - i}_${randomBytes(4).toString('hex')}` }));
        for (const l of added) await links.addLink(l);
        expect((await links.listLinks(docId)).map((l) => l.id)).toEqual([owner, ...added].map((l) => l.id));
      });

      it('findLink finds a link by its key hash within its document only, revoked ones included', async () => {
        const [docId, other] = [newDocId(), newDocId()];
        await links.createDoc(docId, link(docId, 'owner'));
        await links.createDoc(other, link(other, 'owner'));
        const shared = link(docId, 'view', { expiresAt: new Date(1_800_000_000_000) });
        await links.addLink(shared);
        expect(await links.findLink(docId, shared.keyHash)).toEqual(shared);
        expect(await links.findLink(other, shared.keyHash)).toBeNull();
        expect(await links.findLink(docId, randomBytes(32).toString('hex'))).toBeNull();
        await links.revokeLink(docId, shared.id, new Date(1_700_000_100_000));
        expect(await links.findLink(docId, shared.keyHash)).toEqual({ ...shared, revokedAt: new Date(1_700_000_100_000) });
      });

      it('an unknown document has no links', async () => {
        expect(await links.listLinks(newDocId())).toEqual([]);
      });

      it('revokeLink marks the link; revoking again keeps the first time', async () => {
        const docId = newDocId();
        await links.createDoc(docId, link(docId, 'owner'));
        const shared = link(docId, 'edit');
        await links.addLink(shared);
        const first = new Date(1_700_000_100_000);
        expect(await links.revokeLink(docId, shared.id, first)).toBe(true);
        expect(await links.revokeLink(docId, shared.id, new Date(1_700_000_200_000))).toBe(true);
        const listed = (await links.listLinks(docId)).find((l) => l.id === shared.id);
        expect(listed).toEqual({ ...shared, revokedAt: first });
      });

      it('revokeLink of an unknown link, or of another document\'s link, is false and changes nothing', async () => {
        const docId = newDocId();
        const other = newDocId();
        await links.createDoc(docId, link(docId, 'owner'));
        await links.createDoc(other, link(other, 'owner'));
        const foreign = link(other, 'view');
        await links.addLink(foreign);
        expect(await links.revokeLink(docId, 'no-such-link', new Date())).toBe(false);
        expect(await links.revokeLink(docId, foreign.id, new Date())).toBe(false);
        expect(await links.revokeLink(newDocId(), foreign.id, new Date())).toBe(false);
        expect((await links.listLinks(other)).find((l) => l.id === foreign.id)?.revokedAt).toBeNull();
      });
    });


    it('everything acknowledged is there after close and reopen', async () => {
      const docId = newDocId();
      const owner = link(docId, 'owner');
      await links.createDoc(docId, owner);
      const shared = link(docId, 'view', { createdAt: new Date(1_700_000_005_000) });
      await links.addLink(shared);
      await links.revokeLink(docId, shared.id, new Date(1_700_000_006_000));
      await opened.storage.close();
      const reopened = await opened.reopen();
      try {
        expect(await reopened.links.listLinks(docId)).toEqual([owner, { ...shared, revokedAt: new Date(1_700_000_006_000) }]);
        expect(await reopened.links.findLink(docId, owner.keyHash)).toEqual(owner);
      } finally {
        await reopened.close();
      }
    });
  });
}
