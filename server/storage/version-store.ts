import type { DocId } from '../../lib/doc-id';

/** What is known about one version of a document, without its content. */
export interface VersionRecord {
  readonly id: string;
  readonly docId: DocId;
  readonly createdAt: Date;
  /** Set for versions someone named (kept for good); null for automatic ones (thinned with age). */
  readonly name: string | null;
  /** Names of the people who changed the document since the version before. */
  readonly authors: readonly string[];
}

/** A version with its content, as the layer above encoded it. */
export interface StoredVersion {
  readonly record: VersionRecord;
  readonly content: Uint8Array;
}

/**
 * A document's versions: records plus opaque content bytes, in their own tables, apart from the
 * update log, so compacting the log never touches a version (docs/PROTOCOL.md, rule V5). A dumb
 * store: what the bytes hold, when versions are taken and which are thinned are decided a layer
 * up (server/versions). Every method rejects on failure and leaves what was stored before
 * unchanged. Every implementation passes tests/contract/version-store-contract.ts.
 */
export interface VersionStore {
  /** Stores a version; rejects if its id is taken. */
  add(record: VersionRecord, content: Uint8Array): Promise<void>;
  /** Every version of the document, newest first (by createdAt, then the order they were added). */
  list(docId: DocId): Promise<VersionRecord[]>;
  /** One version with its content; null if the document has no such version. */
  read(docId: DocId, id: string): Promise<StoredVersion | null>;
  /** Deletes these versions of the document (unknown ids are skipped); returns how many were deleted. */
  remove(docId: DocId, ids: readonly string[]): Promise<number>;
  /** Deletes every version of the document. */
  removeAll(docId: DocId): Promise<void>;
}
