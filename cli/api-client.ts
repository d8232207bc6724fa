/**
 * The HTTP API as the CLI calls it. Every failure becomes a CliError that says what happened:
 * the server could not be reached, refused the key, or refused the request (with its reason).
 */
import type { ContentFormat } from '../lib/content-format';
import type { ParsedLink } from '../lib/doc-link';
import { CliError, unreachable } from './cli-error';

async function call(origin: string, path: string, init: RequestInit & { key?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key) headers.set('authorization', `Bearer ${init.key}`);
  if (init.body) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(`${origin}${path}`, { ...init, headers });
  } catch (error) {
    throw unreachable(origin, error);
  }
  if (res.ok) return res;
  const body = await res.text();
  let reason = body.trim() || res.statusText;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') reason = parsed.error;
  } catch {
    // Not our JSON: a proxy's page, say. Its text is the best reason there is.
  }
  switch (res.status) {
    case 401:
      throw new CliError(`the server refused the key (401): ${reason}`);
    case 403:
      throw new CliError(`the key may not do this (403): ${reason}`);
    case 404:
      throw new CliError(`not found (404): ${reason}; is ${origin} a Tandem server?`);
    default:
      throw new CliError(`the server answered ${res.status}: ${reason}`);
  }
}

const docPath = (docId: string) => `/api/docs/${encodeURIComponent(docId)}`;

/** Content as the API takes it: text, or ProseMirror JSON for `json`. */
export interface ContentBody {
  readonly format: ContentFormat;
  readonly content: string;
}

export async function createDocument(server: string, body: (ContentBody & { title?: string }) | null): Promise<{ id: string; ownerKey: string }> {
  const res = await call(server, '/api/docs', { method: 'POST', body: body ? JSON.stringify(body) : undefined });
  return (await res.json()) as { id: string; ownerKey: string };
}

export async function readContent(link: ParsedLink, format: ContentFormat): Promise<string> {
  const res = await call(link.origin, `${docPath(link.docId)}/content?format=${format}`, { key: link.key });
  return res.text();
}

export async function writeContent(link: ParsedLink, body: ContentBody, mode: 'append' | 'replace'): Promise<void> {
  await call(link.origin, `${docPath(link.docId)}/content`, { method: 'POST', key: link.key, body: JSON.stringify({ ...body, mode }) });
}

/** What the link's key may do; refuses like every other call when it may do nothing. */
export async function checkAccess(link: ParsedLink): Promise<{ role: string }> {
  const res = await call(link.origin, `${docPath(link.docId)}/access`, { key: link.key });
  return (await res.json()) as { role: string };
}
