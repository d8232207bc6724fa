import type { DocId } from '../../../lib/doc-id';
import type { Role } from '../../../lib/roles';
import { DocExistsError, type LinkRecord, type LinkStore } from '../link-store';
import type { PostgresDatabase } from './postgres-database';

interface LinkRow {
  id: string;
  doc_id: string;
  role: string;
  key_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

function toLink(row: LinkRow): LinkRecord {
  return {
    id: row.id,
    docId: row.doc_id as DocId,
    role: row.role as Role,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

const LINK_COLUMNS = 'id, doc_id, role, key_hash, created_at, expires_at, revoked_at';

/** Documents and their links on PostgreSQL. */
export function createPostgresLinkStore(database: PostgresDatabase): LinkStore {
  const { pool, s, ready, inTransaction } = database;
  const insertLinkSql = `INSERT INTO ${s}.links (${LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  const linkParams = (link: LinkRecord) => [link.id, link.docId, link.role, link.keyHash, link.createdAt, link.expiresAt, link.revokedAt];

  return {
    async createDoc(docId, owner) {
      await ready();
      await inTransaction(async (client) => {
        // A concurrent insert of the same id waits for the first to commit, then inserts nothing.
        const inserted = await client.query(`INSERT INTO ${s}.docs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [docId, owner.createdAt]);
        if (inserted.rowCount !== 1) throw new DocExistsError(docId);
        await client.query(insertLinkSql, linkParams(owner));
      });
    },

    async deleteDoc(docId) {
      await ready();
      return inTransaction(async (client) => {
        await client.query(`DELETE FROM ${s}.links WHERE doc_id = $1`, [docId]);
        const deleted = await client.query(`DELETE FROM ${s}.docs WHERE id = $1`, [docId]);
        return deleted.rowCount === 1;
      });
    },

    async addLink(link) {
      await ready();
      await pool.query(insertLinkSql, linkParams(link));
    },

    async findLink(docId, keyHash) {
      await ready();
      const result = await pool.query<LinkRow>(`SELECT ${LINK_COLUMNS} FROM ${s}.links WHERE key_hash = $1 AND doc_id = $2`, [keyHash, docId]);
      const row = result.rows[0];
      return row ? toLink(row) : null;
    },

    async listLinks(docId) {
      await ready();
      const result = await pool.query<LinkRow>(`SELECT ${LINK_COLUMNS} FROM ${s}.links WHERE doc_id = $1 ORDER BY created_at, ord`, [docId]);
      return result.rows.map(toLink);
    },

    async revokeLink(docId, linkId, at) {
      await ready();
      const result = await pool.query(`UPDATE ${s}.links SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND doc_id = $3`, [at, linkId, docId]);
      return (result.rowCount ?? 0) > 0;
    },
  };
}
