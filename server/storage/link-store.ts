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

/** Thrown by `createDoc` when the id is taken. */
export class DocExistsError extends Error {
  constructor(docId: DocId) {
    super(`document ${docId} already exists`);
    this.name = 'DocExistsError';
  }
}

/**
 * Which documents exist and which keys open them. Keys are looked up by their hash through an
 * index, so a key check costs one indexed read however many links a document has. Every method
 * rejects on failure and leaves what was stored before unchanged. Every implementation passes
 * tests/contract/link-store-contract.ts.
 */
export interface LinkStore {
  /** Creates a document with its owner link, atomically. Rejects with DocExistsError if the id is taken. */
  createDoc(docId: DocId, owner: LinkRecord): Promise<void>;
  /** Deletes the document and every link of it; false if there was no such document. */
  deleteDoc(docId: DocId): Promise<boolean>;
  addLink(link: LinkRecord): Promise<void>;
  /** The link of `docId` whose key hashes to `keyHash`, revoked or not; null if none. */
  findLink(docId: DocId, keyHash: string): Promise<LinkRecord | null>;
  /** Every link of the document, revoked ones included, oldest first. */
  listLinks(docId: DocId): Promise<LinkRecord[]>;
  /** Marks a link revoked; false if the document has no such link. Revoking twice keeps the first time. */
  revokeLink(docId: DocId, linkId: string, at: Date): Promise<boolean>;
}
