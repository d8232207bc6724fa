/**
 * The browser's view of the HTTP API. Every answer is validated where it enters, and failures
 * become an `ApiError` carrying the HTTP status, so screens can tell "refused" from "offline".
 */
import { z } from 'zod';
import type { ContentFormat } from '../../lib/content-format';
import type { LinkRole } from '../../lib/roles';

const errorBody = z.object({ error: z.string() });
const createdDoc = z.object({ id: z.string(), ownerKey: z.string() });
const access = z.object({ role: z.enum(['owner', 'edit', 'comment', 'view']) });
const createdLink = z.object({
  id: z.string(),
  key: z.string(),
  role: z.enum(['edit', 'comment', 'view']),
  expiresAt: z.string().nullable(),
});
const linkInfo = z.object({
  id: z.string(),
  role: z.enum(['edit', 'comment', 'view']),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable().optional(),
});

export type Access = z.infer<typeof access>;
export type CreatedLink = z.infer<typeof createdLink>;
export type LinkInfo = z.infer<typeof linkInfo>;

/** `status` 0 means the request never got an answer (offline, server down). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export async function request<T>(path: string, schema: z.ZodType<T>, init: RequestInit & { key?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('Authorization', `Bearer ${init.key}`);
  if (init.body) headers.set('Content-Type', 'application/json');
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  if (res.status === 204) return schema.parse(undefined);
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const parsed = errorBody.safeParse(body);
    throw new ApiError(res.status, parsed.success ? parsed.data.error : `Request failed (${res.status}).`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError(res.status, 'The server sent an answer this page does not understand.');
  return parsed.data;
}

export const docPath = (docId: string) => `/api/docs/${encodeURIComponent(docId)}`;

/** Content a new document starts with (an imported file). */
export interface InitialContent {
  readonly format: ContentFormat;
  readonly content: string;
  readonly title?: string;
}

export function createDocument(initial?: InitialContent): Promise<z.infer<typeof createdDoc>> {
  return request('/api/docs', createdDoc, { method: 'POST', body: initial ? JSON.stringify(initial) : undefined });
}

/** Deletes the document for everyone (owner key only). */
export function deleteDocument(docId: string, ownerKey: string): Promise<void> {
  return request(docPath(docId), z.undefined(), { method: 'DELETE', key: ownerKey });
}

/** The document rendered by the server in `format`, as text (a file to save). */
export async function fetchContent(docId: string, key: string, format: ContentFormat): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${docPath(docId)}/content?format=${format}`, { headers: { Authorization: `Bearer ${key}` }, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'The server could not be reached.');
  }
  if (!res.ok) {
    const parsed = errorBody.safeParse(await res.json().catch(() => null));
    throw new ApiError(res.status, parsed.success ? parsed.data.error : `Request failed (${res.status}).`);
  }
  return res.text();
}

/** What `key` may do on `docId`; rejects with 401/403 when the key is refused. */
export function fetchAccess(docId: string, key: string): Promise<Access> {
  return request(`${docPath(docId)}/access`, access, { key });
}

export function listLinks(docId: string, ownerKey: string): Promise<LinkInfo[]> {
  return request(`${docPath(docId)}/links`, z.array(linkInfo), { key: ownerKey });
}

export function createLink(docId: string, ownerKey: string, role: LinkRole, expiresAt: Date | null): Promise<CreatedLink> {
  const body = expiresAt ? { role, expiresAt: expiresAt.toISOString() } : { role };
  return request(`${docPath(docId)}/links`, createdLink, { method: 'POST', key: ownerKey, body: JSON.stringify(body) });
}

export function revokeLink(docId: string, ownerKey: string, linkId: string): Promise<void> {
  return request(`${docPath(docId)}/links/${encodeURIComponent(linkId)}`, z.undefined(), { method: 'DELETE', key: ownerKey });
}
