import type Database from 'better-sqlite3';
import type { DocId } from '../../../lib/doc-id';
import type { DocLog, StoredDoc, UpdateEntry } from '../doc-log';
import type { SqliteDatabase } from './sqlite-database';

/** Log entries read per turn of the event loop. */
const LOAD_PAGE_ROWS = 5_000;
/**
 * Rows per INSERT when appending. One statement per row spent about as much on the statement
 * (binding, stepping, resetting, crossing into C++) as on the row; 64 rows share one.
 */
const ROWS_PER_INSERT = 64;
/**
 * `OR ROLLBACK`: a failing row rolls back the whole append, which fails as a whole anyway. With
 * the default `OR ABORT` SQLite must be able to undo one multi-row statement alone, so it copied
 * every page each statement touched to a statement journal, a temporary file: over half of an
 * append's CPU time (two system calls per page) went there.
 */
const INSERT_VERB = 'INSERT OR ROLLBACK';
/** Dead entries (covered by a snapshot) deleted per statement at first; adapted to SWEEP_SLICE_MS. */
const FIRST_SWEEP_ROWS = 256;
const SWEEP_SLICE_MS = 1;
/**
 * Between slices the event loop serves every other document. Slices this rare touch about 2 % of
 * deliveries (and grow the WAL slowly, so checkpoints stay rare); 260k entries take about 30 s.
 */
const SWEEP_PAUSE_MS = 50;

/**
 * Deletes log entries that a snapshot covers, in slices of about SWEEP_SLICE_MS with pauses
 * between them. Nothing waits for it: a load never reads entries a snapshot covers. Should the
 * process stop first, or a slice fail, the entries left are deleted by the document's next
 * compaction, which sweeps everything up to its own snapshot.
 */
class DeadEntrySweeper {
  private readonly through = new Map<DocId, number>();

  constructor(private readonly deleteSlice: (docId: DocId, throughSeq: number, rows: number) => number) {}

  sweep(docId: DocId, throughSeq: number): void {
    const running = this.through.has(docId);
    this.through.set(docId, Math.max(this.through.get(docId) ?? 0, throughSeq));
    if (!running) this.next(docId, FIRST_SWEEP_ROWS);
  }

  private next(docId: DocId, rows: number): void {
    setTimeout(() => {
      const through = this.through.get(docId)!;
      const started = performance.now();
      let deleted: number;
      try {
        deleted = this.deleteSlice(docId, through, rows);
      } catch {
        deleted = 0;
      }
      if (deleted < rows && this.through.get(docId) === through) {
        this.through.delete(docId);
        return;
      }
      const took = performance.now() - started;
      const adapted = took < SWEEP_SLICE_MS / 2 ? rows * 2 : took > SWEEP_SLICE_MS ? rows / 2 : rows;
      this.next(docId, Math.max(16, Math.min(LOAD_PAGE_ROWS, Math.round(adapted))));
    }, SWEEP_PAUSE_MS).unref();
  }
}

/** The document log on SQLite. Synchronous underneath: each call has committed when it returns. */
export function createSqliteDocLog(db: SqliteDatabase): DocLog {
  // One statement per row count, prepared on first use: ROWS_PER_INSERT and the remainders.
  const inserts = new Map<number, Database.Statement<unknown[]>>();
  const insertRows = (rows: number) => {
    let statement = inserts.get(rows);
    if (!statement) {
      statement = db.prepare<unknown[]>(`${INSERT_VERB} INTO updates (doc_id, data) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`);
      inserts.set(rows, statement);
    }
    return statement;
  };
  const selectSnapshot = db.prepare<[string], { data: Buffer; through_seq: number; state_vector: Buffer | null }>(
    'SELECT data, through_seq, state_vector FROM snapshots WHERE doc_id = ?',
  );
  const selectLogPage = db.prepare<[string, number, number], { seq: number; data: Buffer }>(
    'SELECT seq, data FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq LIMIT ?',
  );
  const upsertSnapshot = db.prepare<[string, Uint8Array, number, Uint8Array | null]>(
    `INSERT INTO snapshots (doc_id, data, through_seq, state_vector) VALUES (?, ?, ?, ?)
     ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq, state_vector = excluded.state_vector
     WHERE snapshots.through_seq < excluded.through_seq`,
  );
  const deleteLogPageThrough = db.prepare<[string, number, number]>(
    'DELETE FROM updates WHERE seq IN (SELECT seq FROM updates WHERE doc_id = ? AND seq <= ? ORDER BY seq LIMIT ?)',
  );
  const selectSnapshotSeq = db.prepare<[string], { through_seq: number }>('SELECT through_seq FROM snapshots WHERE doc_id = ?');
  const tailEntry = db.prepare<[string, number, number], { seq: number }>(
    'SELECT seq FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq LIMIT 1 OFFSET ?',
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
  // past it. So the entries it covers are swept away afterwards, a slice at a time, rather than
  // 260k at once in one transaction that holds every other document up.
  const compactTx = db.transaction((docId: DocId, snapshot: Uint8Array, throughSeq: number, stateVector: Uint8Array | null): boolean => {
    return upsertSnapshot.run(docId, snapshot, throughSeq, stateVector).changes > 0;
  });
  const sweeper = new DeadEntrySweeper((docId, throughSeq, rows) => (db.open ? deleteLogPageThrough.run(docId, throughSeq, rows).changes : 0));
  const compact = async (docId: DocId, snapshot: Uint8Array, throughSeq: number, stateVector?: Uint8Array): Promise<boolean> => {
    if (!compactTx(docId, snapshot, throughSeq, stateVector ?? null)) return false;
    sweeper.sweep(docId, throughSeq);
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
      if (consistent) return { snapshot: head?.data ?? null, updates, throughSeq, snapshotStateVector: head?.state_vector ?? null };
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
    fileBacked: {
      sqliteFile: db.name,
      hasLongTail(docId, count) {
        const snapshotSeq = selectSnapshotSeq.get(docId)?.through_seq ?? 0;
        return count <= 0 || tailEntry.get(docId, snapshotSeq, count - 1) !== undefined;
      },
    },
  };
}
