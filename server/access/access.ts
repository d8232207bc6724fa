import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import type { LinkRecord, Storage } from '../storage/storage';
import { hashKey, hashesEqual } from './keys';

/** The outcome of presenting a key for a document. */
export type AccessDecision =
  | { readonly kind: 'granted'; readonly role: Role; readonly link: LinkRecord }
  /** No key, or not a key of this document (or the document does not exist): 4401 / HTTP 401. */
  | { readonly kind: 'unknown' }
  /** A key of this document that was revoked or has expired: 4403 / HTTP 403. */
  | { readonly kind: 'revoked'; readonly link: LinkRecord }
  | { readonly kind: 'expired'; readonly link: LinkRecord };

/**
 * Decides what a key may do. Every link of the document is compared, each in constant time,
 * so the time taken says nothing about which link (if any) nearly matched.
 */
export async function checkKey(storage: Storage, docId: DocId, key: string | null | undefined, now = new Date()): Promise<AccessDecision> {
  if (!key) return { kind: 'unknown' };
  const presented = hashKey(key);
  const links = await storage.listLinks(docId);
  let match: LinkRecord | undefined;
  for (const link of links) {
    if (hashesEqual(link.keyHash, presented)) match = link;
  }
  if (!match) return { kind: 'unknown' };
  if (match.revokedAt) return { kind: 'revoked', link: match };
  if (match.expiresAt && match.expiresAt.getTime() <= now.getTime()) return { kind: 'expired', link: match };
  return { kind: 'granted', role: match.role, link: match };
}
