import type Database from 'better-sqlite3';
import type { DocId } from '../../../lib/doc-id';
import type { DocLog, StoredDoc, UpdateEntry } from '../doc-log';
import type { SqliteDatabase } from './sqlite-database';

/** Log entries read (or deleted after a compaction) per turn of the event loop. */
const LOAD_PAGE_ROWS = 5_000;
/**
 * Rows per INSERT when appending. One statement per row spent about as much on the statement
 * (binding, stepping, resetting, crossing into C++) as on the row; 64 rows share one.
 */
const ROWS_PER_INSERT = 64;

/** The document log on SQLite. Synchronous underneath: each call has committed when it returns. */
export function createSqliteDocLog(db: SqliteDatabase): DocLog {
  // One statement per row count, prepared on first use: ROWS_PER_INSERT and the remainders.
  const inserts = new Map<number, Database.Statement<unknown[]>>();
  const insertRows = (rows: number) => {
    let statement = inserts.get(rows);
    if (!statement) {
      statement = db.prepare<unknown[]>(`INSERT INTO updates (doc_id, data) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`);
      inserts.set(rows, statement);
    }
    return statement;
  };
  const selectSnapshot = db.prepare<[string], { data: Buffer; through_seq: number }>('SELECT data, through_seq FROM snapshots WHERE doc_id = ?');
  const selectLogPage = db.prepare<[string, number, number], { seq: number; data: Buffer }>(
    'SELECT seq, data FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const upsertSnapshot = db.prepare<[string, Uint8Array, number]>(
    `INSERT INTO snapshots (doc_id, data, through_seq) VALUES (?, ?, ?)
     ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq
     WHERE snapshots.through_seq < excluded.through_seq`,
  );
  const deleteLogPageThrough = db.prepare<[string, number, number]>(
    'DELETE FROM updates WHERE seq IN (SELECT seq FROM updates WHERE doc_id = ? AND seq <= ? ORDER BY seq LIMIT ?)',
  );
  const deleteLog = db.prepare<[string]>('DELETE FROM updates WHERE doc_id = ?');
  const deleteSnapshot = db.prepare<[string]>('DELETE FROM snapshots WHERE doc_id = ?');

  // The rows of one VALUES list get increasing sequence numbers in their order (rule D3's order).
  const appendTx = db.transaction((entries: readonly UpdateEntry[]) => {
    const params: Array<string | Uint8Array> = [];
    for (let start = 0; start < entries.length; start += ROWS_PER_INSERT) {
      const end = Math.min(start + ROWS_PER_INSERT, entries.length);
      params.length = 0;
      for (let i = start; i < end; i++) params.push(entries[i]!.docId, entries[i]!.update);
      insertRows(end - start).run(params);
    }
  });
  // The snapshot's sequence number is what makes a compaction visible: a load reads only entries
  // past it. So the entries it covers can be deleted a page per turn afterwards, rather than
  // 260k at once in one transaction that holds every other document up.
  const compactTx = db.transaction((docId: DocId, snapshot: Uint8Array, throughSeq: number): boolean => {
    if (upsertSnapshot.run(docId, snapshot, throughSeq).changes === 0) return false;
    deleteLogPageThrough.run(docId, throughSeq, LOAD_PAGE_ROWS);
    return true;
  });
  const compact = async (docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<boolean> => {
    if (!compactTx(docId, snapshot, throughSeq)) return false;
    while (deleteLogPageThrough.run(docId, throughSeq, LOAD_PAGE_ROWS).changes > 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    return true;
  };
  /**
   * Reads the log a page at a time, letting the event loop run between pages: reading a log of
   * 260k entries at once held every other document up for over a second. Only this process
   * writes the file, and a compaction always moves the snapshot's sequence number, so if it
   * moved while pages were read the load starts over; appends only add entries past those read.
   */
  const load = async (docId: DocId): Promise<StoredDoc> => {
    for (;;) {
      const head = selectSnapshot.get(docId);
      const snapshotSeq = head?.through_seq ?? 0;
      const updates: Buffer[] = [];
      let throughSeq = snapshotSeq;
      let consistent = true;
      for (;;) {
        const rows = selectLogPage.all(docId, throughSeq, LOAD_PAGE_ROWS);
        for (const row of rows) updates.push(row.data);
        if (rows.length > 0) throughSeq = rows[rows.length - 1]!.seq;
        if (rows.length < LOAD_PAGE_ROWS) break;
        await new Promise((resolve) => setImmediate(resolve));
        if ((selectSnapshot.get(docId)?.through_seq ?? 0) !== snapshotSeq) {
          consistent = false;
          break;
        }
      }
      if (consistent) return { snapshot: head?.data ?? null, updates, throughSeq };
    }
  };
  const removeTx = db.transaction((docId: DocId) => {
    deleteLog.run(docId);
    deleteSnapshot.run(docId);
  });

  // `async` turns a thrown SQLite error into a rejection.
  return {
    async append(entries) {
      if (entries.length > 0) appendTx(entries);
    },
    load,
    compact,
    async remove(docId) {
      removeTx(docId);
    },
  };
}
