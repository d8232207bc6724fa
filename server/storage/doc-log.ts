import type { DocId } from '../../lib/doc-id';

/** One update to append to a document's log. */
export interface UpdateEntry {
  readonly docId: DocId;
  readonly update: Uint8Array;
}

/** What is stored for a document: a snapshot and the log written after it. */
export interface StoredDoc {
  /** `Y.encodeStateAsUpdate` of everything up to the snapshot's sequence number, or null if never compacted. */
  readonly snapshot: Uint8Array | null;
  /**
   * Log entries after the snapshot, in commit order. On a database shared by several
   * instances, sequence numbers must follow commit order per document (appends to a document
   * are serialized), or a compaction could fold past an entry that commits later.
   */
  readonly updates: readonly Uint8Array[];
  /** Sequence number of the last entry returned (or of the snapshot when the log is empty); 0 for a new document. */
  readonly throughSeq: number;
  /**
   * `Y.encodeStateVector` of the snapshot, when it was stored with it: a document without a log
   * tail is then served without reading its state vector from the snapshot's bytes.
   */
  readonly snapshotStateVector?: Uint8Array | null;
}

export const EMPTY_STORED_DOC: StoredDoc = { snapshot: null, updates: [], throughSeq: 0, snapshotStateVector: null };

/**
 * A log that the fold process can read by itself, from the database file, so that reading a long
 * log never blocks the event loop (rooms/doc-folder.ts).
 */
export interface FileBackedLog {
  /** The SQLite file, for a read-only connection of the fold process's own. */
  readonly sqliteFile: string;
  /** Whether at least `count` entries follow the document's snapshot (a cheap probe of the index). */
  hasLongTail(docId: DocId, count: number): boolean;
}

/**
 * A document's durable history: an append-only log of Yjs updates folded now and then into a
 * snapshot. A dumb byte store: when to compact is decided a layer up (rooms/compactor.ts).
 * Every method rejects on failure and leaves what was stored before unchanged. Every
 * implementation passes tests/contract/doc-log-contract.ts.
 */
export interface DocLog {
  /** Appends every entry in one transaction: all are durable when this resolves, or none. */
  append(entries: readonly UpdateEntry[]): Promise<void>;
  /** The document's snapshot and log tail; EMPTY_STORED_DOC's shape for a document with nothing stored. */
  load(docId: DocId): Promise<StoredDoc>;
  /**
   * Replaces the snapshot with one that covers every log entry up to `throughSeq` and deletes
   * those entries, atomically. Does nothing and returns false if the stored snapshot is already
   * as new, so concurrent compactions cannot go back in time. `stateVector`, the snapshot's own,
   * is stored with it (and `load` returns it) when given.
   */
  compact(docId: DocId, snapshot: Uint8Array, throughSeq: number, stateVector?: Uint8Array): Promise<boolean>;
  /** Deletes the document's snapshot and log. */
  remove(docId: DocId): Promise<void>;
  /** Present when the fold process can read the log from its file itself (SQLite). */
  readonly fileBacked?: FileBackedLog;
}
