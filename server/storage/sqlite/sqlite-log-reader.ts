import Database from 'better-sqlite3';
import type { DocId } from '../../../lib/doc-id';
import type { StoredDoc } from '../doc-log';
import type { SqliteDatabase } from './sqlite-database';

/**
 * Reads whole stored documents on a read-only connection of its own: the fold process's view of
 * the SQLite log. One read transaction sees one consistent state of the file (WAL), so the
 * snapshot and the entries after it always match, whatever the server commits meanwhile.
 */
export class SqliteLogReader {
  private readonly db: SqliteDatabase;
  private readonly read: (docId: DocId) => StoredDoc;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    const selectSnapshot = this.db.prepare<[string], { data: Buffer; through_seq: number }>('SELECT data, through_seq FROM snapshots WHERE doc_id = ?');
    const selectTail = this.db.prepare<[string, number], { seq: number; data: Buffer }>('SELECT seq, data FROM updates WHERE doc_id = ? AND seq > ? ORDER BY seq');
    this.read = this.db.transaction((docId: DocId): StoredDoc => {
      const head = selectSnapshot.get(docId);
      let throughSeq = head?.through_seq ?? 0;
      const updates: Uint8Array[] = [];
      for (const row of selectTail.iterate(docId, throughSeq)) {
        updates.push(row.data);
        throughSeq = row.seq;
      }
      return { snapshot: head?.data ?? null, updates, throughSeq };
    });
  }

  load(docId: DocId): StoredDoc {
    return this.read(docId);
  }

  close(): void {
    this.db.close();
  }
}
