import type { DocId } from '../../../lib/doc-id';
import type { VersionRecord, VersionStore } from '../version-store';
import type { SqliteDatabase } from './sqlite-database';

interface VersionRow {
  id: string;
  doc_id: string;
  created_at: number;
  name: string | null;
  authors: string;
}

function toRecord(row: VersionRow): VersionRecord {
  return { id: row.id, docId: row.doc_id as DocId, createdAt: new Date(row.created_at), name: row.name, authors: JSON.parse(row.authors) as string[] };
}

const RECORD_COLUMNS = 'id, doc_id, created_at, name, authors';

/** Versions on SQLite, in their own table. */
export function createSqliteVersionStore(db: SqliteDatabase): VersionStore {
  const insert = db.prepare<[string, string, number, string | null, string, Uint8Array]>(
    'INSERT INTO versions (id, doc_id, created_at, name, authors, content) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const selectList = db.prepare<[string], VersionRow>(`SELECT ${RECORD_COLUMNS} FROM versions WHERE doc_id = ? ORDER BY created_at DESC, ord DESC`);
  const selectOne = db.prepare<[string, string], VersionRow & { content: Buffer }>(`SELECT ${RECORD_COLUMNS}, content FROM versions WHERE doc_id = ? AND id = ?`);
  const deleteOne = db.prepare<[string, string]>('DELETE FROM versions WHERE doc_id = ? AND id = ?');
  const deleteAll = db.prepare<[string]>('DELETE FROM versions WHERE doc_id = ?');
  const removeTx = db.transaction((docId: DocId, ids: readonly string[]) => {
    let removed = 0;
    for (const id of ids) removed += deleteOne.run(docId, id).changes;
    return removed;
  });

  return {
    async add(record, content) {
      insert.run(record.id, record.docId, record.createdAt.getTime(), record.name, JSON.stringify(record.authors), content);
    },
    async list(docId) {
      return selectList.all(docId).map(toRecord);
    },
    async read(docId, id) {
      const row = selectOne.get(docId, id);
      if (!row) return null;
      return { record: toRecord(row), content: new Uint8Array(row.content.buffer, row.content.byteOffset, row.content.byteLength) };
    },
    async remove(docId, ids) {
      return removeTx(docId, ids);
    },
    async removeAll(docId) {
      deleteAll.run(docId);
    },
  };
}
