import type { DocId } from '../../../lib/doc-id';
import type { VersionRecord, VersionStore } from '../version-store';
import type { PostgresDatabase } from './postgres-database';

interface VersionRow {
  id: string;
  doc_id: string;
  created_at: Date;
  name: string | null;
  authors: string[];
}

function toRecord(row: VersionRow): VersionRecord {
  return { id: row.id, docId: row.doc_id as DocId, createdAt: row.created_at, name: row.name, authors: row.authors };
}

const RECORD_COLUMNS = 'id, doc_id, created_at, name, authors';

/** Versions on PostgreSQL, in their own table. */
export function createPostgresVersionStore(database: PostgresDatabase): VersionStore {
  const { pool, s, ready } = database;
  return {
    async add(record, content) {
      await ready();
      await pool.query(`INSERT INTO ${s}.versions (id, doc_id, created_at, name, authors, content) VALUES ($1, $2, $3, $4, $5, $6)`, [
        record.id,
        record.docId,
        record.createdAt,
        record.name,
        JSON.stringify(record.authors),
        Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      ]);
    },
    async list(docId) {
      await ready();
      const result = await pool.query<VersionRow>(`SELECT ${RECORD_COLUMNS} FROM ${s}.versions WHERE doc_id = $1 ORDER BY created_at DESC, ord DESC`, [docId]);
      return result.rows.map(toRecord);
    },
    async read(docId, id) {
      await ready();
      const result = await pool.query<VersionRow & { content: Buffer }>(`SELECT ${RECORD_COLUMNS}, content FROM ${s}.versions WHERE doc_id = $1 AND id = $2`, [docId, id]);
      const row = result.rows[0];
      if (!row) return null;
      return { record: toRecord(row), content: new Uint8Array(row.content.buffer, row.content.byteOffset, row.content.byteLength) };
    },
    async remove(docId, ids) {
      if (ids.length === 0) return 0;
      await ready();
      const result = await pool.query(`DELETE FROM ${s}.versions WHERE doc_id = $1 AND id = ANY($2::text[])`, [docId, [...ids]]);
      return result.rowCount ?? 0;
    },
    async removeAll(docId) {
      await ready();
      await pool.query(`DELETE FROM ${s}.versions WHERE doc_id = $1`, [docId]);
    },
  };
}
