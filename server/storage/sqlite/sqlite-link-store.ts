import type { DocId } from '../../../lib/doc-id';
import type { Role } from '../../../lib/roles';
import { DocExistsError, type LinkRecord, type LinkStore } from '../link-store';
import type { SqliteDatabase } from './sqlite-database';

interface LinkRow {
  id: string;
  doc_id: string;
  role: string;
  key_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

function toLink(row: LinkRow): LinkRecord {
  return {
    id: row.id,
    docId: row.doc_id as DocId,
    role: row.role as Role,
    keyHash: row.key_hash,
    createdAt: new Date(row.created_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
  };
}

/** Documents and their links on SQLite. */
export function createSqliteLinkStore(db: SqliteDatabase): LinkStore {
  const insertDoc = db.prepare<[string, number]>('INSERT INTO docs (id, created_at) VALUES (?, ?)');
  const selectDocExists = db.prepare<[string]>('SELECT 1 FROM docs WHERE id = ?').pluck();
  const deleteDocRow = db.prepare<[string]>('DELETE FROM docs WHERE id = ?');
  const deleteLinks = db.prepare<[string]>('DELETE FROM links WHERE doc_id = ?');
  const insertLink = db.prepare<[string, string, string, string, number, number | null, number | null]>(
    'INSERT INTO links (id, doc_id, role, key_hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const selectByHash = db.prepare<[string, string], LinkRow>('SELECT * FROM links WHERE key_hash = ? AND doc_id = ?');
  const selectLinks = db.prepare<[string], LinkRow>('SELECT * FROM links WHERE doc_id = ? ORDER BY created_at, rowid');
  const updateRevoke = db.prepare<[number, string, string]>('UPDATE links SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND doc_id = ?');

  const addLinkRow = (link: LinkRecord) =>
    insertLink.run(link.id, link.docId, link.role, link.keyHash, link.createdAt.getTime(), link.expiresAt?.getTime() ?? null, link.revokedAt?.getTime() ?? null);

  const createDocTx = db.transaction((docId: DocId, owner: LinkRecord) => {
    if (selectDocExists.get(docId) !== undefined) throw new DocExistsError(docId);
    insertDoc.run(docId, owner.createdAt.getTime());
    addLinkRow(owner);
  });
  const deleteDocTx = db.transaction((docId: DocId): boolean => {
    deleteLinks.run(docId);
    return deleteDocRow.run(docId).changes > 0;
  });

  return {
    async createDoc(docId, owner) {
      createDocTx(docId, owner);
    },
    async deleteDoc(docId) {
      return deleteDocTx(docId);
    },
    async addLink(link) {
      addLinkRow(link);
    },
    async findLink(docId, keyHash) {
      const row = selectByHash.get(keyHash, docId);
      return row ? toLink(row) : null;
    },
    async listLinks(docId) {
      return selectLinks.all(docId).map(toLink);
    },
    async revokeLink(docId, linkId, at) {
      return updateRevoke.run(at.getTime(), linkId, docId).changes > 0;
    },
  };
}
