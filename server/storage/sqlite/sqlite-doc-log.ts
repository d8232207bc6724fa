import type { DocId } from '../../../lib/doc-id';
import type { DocLog, StoredDoc, UpdateEntry } from '../doc-log';
import type { SqliteDatabase } from './sqlite-database';

/** The document log on SQLite. Synchronous underneath: each call has committed when it returns. */
export function createSqliteDocLog(db: SqliteDatabase): DocLog {
  const insertUpdate = db.prepare<[string, Uint8Array]>('INSERT INTO updates (doc_id, data) VALUES (?, ?)');
  const selectSnapshot = db.prepare<[string], { data: Buffer; through_seq: number }>('SELECT data, through_seq FROM snapshots WHERE doc_id = ?');
  const selectLog = db.prepare<[string, number], { seq: number; data: Buffer }>('SELECT seq, data FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq');
  const upsertSnapshot = db.prepare<[string, Uint8Array, number]>(
    `INSERT INTO snapshots (doc_id, data, through_seq) VALUES (?, ?, ?)
     ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq
     WHERE snapshots.through_seq < excluded.through_seq`,
  );
  const deleteLogThrough = db.prepare<[string, number]>('DELETE FROM updates WHERE doc_id = ? AND seq <= ?');
  const deleteLog = db.prepare<[string]>('DELETE FROM updates WHERE doc_id = ?');
  const deleteSnapshot = db.prepare<[string]>('DELETE FROM snapshots WHERE doc_id = ?');

  const appendTx = db.transaction((entries: readonly UpdateEntry[]) => {
    for (const entry of entries) insertUpdate.run(entry.docId, entry.update);
  });
  const compactTx = db.transaction((docId: DocId, snapshot: Uint8Array, throughSeq: number): boolean => {
    if (upsertSnapshot.run(docId, snapshot, throughSeq).changes === 0) return false;
    deleteLogThrough.run(docId, throughSeq);
    return true;
  });
  const loadTx = db.transaction((docId: DocId): StoredDoc => {
    const head = selectSnapshot.get(docId);
    const snapshotSeq = head?.through_seq ?? 0;
    const rows = selectLog.all(docId, snapshotSeq);
    return {
      snapshot: head?.data ?? null,
      updates: rows.map((row) => row.data),
      throughSeq: rows.length > 0 ? rows[rows.length - 1]!.seq : snapshotSeq,
    };
  });
  const removeTx = db.transaction((docId: DocId) => {
    deleteLog.run(docId);
    deleteSnapshot.run(docId);
  });

  // `async` turns a thrown SQLite error into a rejection.
  return {
    async append(entries) {
      if (entries.length > 0) appendTx(entries);
    },
    async load(docId) {
      return loadTx(docId);
    },
    async compact(docId, snapshot, throughSeq) {
      return compactTx(docId, snapshot, throughSeq);
    },
    async remove(docId) {
      removeTx(docId);
    },
  };
}
