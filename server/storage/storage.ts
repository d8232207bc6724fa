import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';

/** A key that grants a role on one document. Only the key's hash is ever stored. */
export interface LinkRecord {
  readonly id: string;
  readonly docId: DocId;
  readonly role: Role;
  /** Lower-case hex SHA-256 of the key. */
  readonly keyHash: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** One client update to append to a document's log. */
export interface UpdateEntry {
  readonly docId: DocId;
  readonly update: Uint8Array;
}

/** What is stored for a document: a snapshot and the log written after it. */
export interface StoredDoc {
  /** `Y.encodeStateAsUpdate` of everything up to `snapshotSeq`, or null if never compacted. */
  readonly snapshot: Uint8Array | null;
  /**
   * Log entries after the snapshot, in commit order. On a database shared by several
   * instances, sequence numbers must follow commit order per document (serialize appends to a
   * document), or a compaction could fold past an entry that commits later.
   */
  readonly updates: readonly Uint8Array[];
  /** Sequence number of the last log entry returned (or of the snapshot when the log is empty); 0 for a new document. */
  readonly throughSeq: number;
}

/** Thrown by `createDoc` when the id is taken. */
export class DocExistsError extends Error {
  constructor(docId: DocId) {
    super(`document ${docId} already exists`);
    this.name = 'DocExistsError';
  }
}

/**
 * The one storage seam: a dumb, durable byte store for document logs and link records.
 * When to compact is decided a layer up (rooms/compaction); every implementation passes the
 * shared suite in tests/contract/storage-contract.ts. Every method rejects on failure and
 * leaves what was stored before unchanged.
 */
export interface Storage {
  /** Creates an empty document with its owner link, atomically. Rejects with DocExistsError if taken. */
  createDoc(docId: DocId, owner: LinkRecord): Promise<void>;
  /** True if the document was created. */
  docExists(docId: DocId): Promise<boolean>;
  addLink(link: LinkRecord): Promise<void>;
  /** Every link of the document, revoked ones included, oldest first. */
  listLinks(docId: DocId): Promise<LinkRecord[]>;
  /** Marks a link revoked; false if the document has no such link. Revoking twice keeps the first time. */
  revokeLink(docId: DocId, linkId: string, at: Date): Promise<boolean>;
  /** Appends every entry in one transaction: all are durable when this resolves, or none. */
  appendUpdates(entries: readonly UpdateEntry[]): Promise<void>;
  /** The document's snapshot and log tail; an empty StoredDoc for a document with no content. */
  loadDoc(docId: DocId): Promise<StoredDoc>;
  /**
   * Replaces the snapshot with one that covers every log entry up to `throughSeq` and deletes
   * those entries, atomically. Does nothing and returns false if the stored snapshot is already
   * as new, so concurrent compactions cannot go back in time.
   */
  compact(docId: DocId, snapshot: Uint8Array, throughSeq: number): Promise<boolean>;
  /** Resolves if storage answers (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
