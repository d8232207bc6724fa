/**
 * The API calls an open document makes before any dialog: its access check and its export. They
 * check their answers by hand, so the page's first script carries no validator library.
 */
import type { ContentFormat } from '../../lib/content-format';
import { ROLES, type Role } from '../../lib/roles';
import { docPath, send, sendForJson } from './http';

export interface Access {
  readonly role: Role;
}

const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** `{ role }` with a known role, else null. */
export function readAccess(body: unknown): Access | null {
  const role = typeof body === 'object' && body !== null ? (body as { role?: unknown }).role : undefined;
  return isRole(role) ? { role } : null;
}

/** What `key` may do on `docId`; rejects with 401/403 when the key is refused. */
export function fetchAccess(docId: string, key: string): Promise<Access> {
  return sendForJson(`${docPath(docId)}/access`, readAccess, { key });
}

/** The document rendered by the server in `format`, as text (a file to save). */
export async function fetchContent(docId: string, key: string, format: ContentFormat): Promise<string> {
  const res = await send(`${docPath(docId)}/content?format=${format}`, { key });
  return res.text();
}
