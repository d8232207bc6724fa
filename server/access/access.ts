import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import type { LinkRecord, LinkStore } from '../storage/link-store';
import { hashKey } from './keys';

/** The outcome of presenting a key for a document. */
export type AccessDecision =
  | { readonly kind: 'granted'; readonly role: Role; readonly link: LinkRecord }
  /** No key, or not a key of this document (or the document does not exist): 4401 / HTTP 401. */
  | { readonly kind: 'unknown' }
  /** A key of this document that was revoked or has expired: 4403 / HTTP 403. */
  | { readonly kind: 'revoked'; readonly link: LinkRecord }
  | { readonly kind: 'expired'; readonly link: LinkRecord };

/** Keys are 32 URL-safe characters; anything much longer is not one and is not worth hashing. */
const MAX_KEY_LENGTH = 256;

/**
 * Decides what a key may do (docs/PROTOCOL.md, rules A1–A3). The key is looked up by its
 * SHA-256 hash through an index: the lookup's timing can only reveal something about a hash of
 * a 192-bit random key, which is no help in guessing one.
 */
export async function checkKey(links: LinkStore, docId: DocId, key: string | null | undefined, now: number): Promise<AccessDecision> {
  if (!key || key.length > MAX_KEY_LENGTH) return { kind: 'unknown' };
  const link = await links.findLink(docId, hashKey(key));
  if (!link) return { kind: 'unknown' };
  if (link.revokedAt) return { kind: 'revoked', link };
  if (link.expiresAt && link.expiresAt.getTime() <= now) return { kind: 'expired', link };
  return { kind: 'granted', role: link.role, link };
}
