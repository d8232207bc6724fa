/**
 * The browser's view of the HTTP API behind the dialogs and the home page. Every answer is
 * validated where it enters. The validators come from zod's tree-shakable build, and the document
 * page imports this module only when a dialog needs it: full zod was a sixth of that page's first
 * JavaScript, all parsed before the editor could show.
 */
import * as z from 'zod/mini';
import type { ContentFormat } from '../../lib/content-format';
import type { LinkRole } from '../../lib/roles';
import { docPath, sendForJson, type ApiInit } from './http';

const createdDoc = z.object({ id: z.string(), ownerKey: z.string() });
const createdLink = z.object({
  id: z.string(),
  key: z.string(),
  role: z.enum(['edit', 'comment', 'view']),
  expiresAt: z.nullable(z.string()),
});
const linkInfo = z.object({
  id: z.string(),
  role: z.enum(['edit', 'comment', 'view']),
  expiresAt: z.nullable(z.string()),
  createdAt: z.string(),
  revokedAt: z.optional(z.nullable(z.string())),
});

export type CreatedLink = z.infer<typeof createdLink>;
export type LinkInfo = z.infer<typeof linkInfo>;

/** Sends a request and resolves with its answer, validated by `schema`. */
export function request<T>(path: string, schema: z.ZodMiniType<T>, init: ApiInit = {}): Promise<T> {
  return sendForJson(path, (body) => {
    const parsed = schema.safeParse(body);
    return parsed.success ? parsed.data : null;
  }, init);
}

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
export async function deleteDocument(docId: string, ownerKey: string): Promise<void> {
  await request(docPath(docId), z.undefined(), { method: 'DELETE', key: ownerKey });
}

export function listLinks(docId: string, ownerKey: string): Promise<LinkInfo[]> {
  return request(`${docPath(docId)}/links`, z.array(linkInfo), { key: ownerKey });
}

export function createLink(docId: string, ownerKey: string, role: LinkRole, expiresAt: Date | null): Promise<CreatedLink> {
  const body = expiresAt ? { role, expiresAt: expiresAt.toISOString() } : { role };
  return request(`${docPath(docId)}/links`, createdLink, { method: 'POST', key: ownerKey, body: JSON.stringify(body) });
}

export async function revokeLink(docId: string, ownerKey: string, linkId: string): Promise<void> {
  await request(`${docPath(docId)}/links/${encodeURIComponent(linkId)}`, z.undefined(), { method: 'DELETE', key: ownerKey });
}
