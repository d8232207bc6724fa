import type { IncomingMessage } from 'node:http';
import { isDocId, type DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import { checkKey } from '../access/access';
import type { LinkRecord, LinkStore } from '../storage/link-store';
import { HttpError, bearerToken } from './json';

/** A document id from a path; an id that cannot exist is answered like an unknown document. */
export function docIdFrom(raw: string): DocId {
  if (!isDocId(raw)) throw new HttpError(404, 'no such document');
  return raw;
}

/**
 * The role the request's Bearer key grants on `docId`, if `allowed` accepts it. 401 without a key
 * or with one this document does not know (the same whether or not the document exists); 403
 * for a revoked or expired key, or one whose role may not do this (`forbidden` says what).
 */
export async function requireRole(
  links: LinkStore,
  docId: DocId,
  req: IncomingMessage,
  now: number,
  allowed: (role: Role) => boolean,
  forbidden: string,
): Promise<{ role: Role; link: LinkRecord }> {
  const decision = await checkKey(links, docId, bearerToken(req), now);
  switch (decision.kind) {
    case 'unknown':
      throw new HttpError(401, 'a key of this document is required: Authorization: Bearer <key>');
    case 'revoked':
      throw new HttpError(403, 'this link was revoked');
    case 'expired':
      throw new HttpError(403, 'this link has expired');
    case 'granted':
      if (!allowed(decision.role)) throw new HttpError(403, forbidden);
      return { role: decision.role, link: decision.link };
  }
}

export const anyRole = (): boolean => true;
export const ownerOnly = (role: Role): boolean => role === 'owner';
