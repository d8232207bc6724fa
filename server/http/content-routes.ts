import type { IncomingMessage } from 'node:http';
import type { Node as PMNode } from '@tiptap/pm/model';
import * as Y from 'yjs';
import { z } from 'zod';
import { CONTENT_FORMATS, MAX_TITLE_CHARS, isContentFormat, type ContentFormat } from '../../lib/content-format';
import { InvalidContentError } from '../../lib/content-node';
import type { DocId } from '../../lib/doc-id';
import { Paths } from '../../lib/protocol';
import { canEdit } from '../../lib/roles';
import { appendContent, replaceContent, setInitialTitle } from '../content/edit';
import { parseContent } from '../content/parse';
import { readDocumentContent, renderContent } from '../content/render';
import type { ApiDeps } from './api-deps';
import { anyRole, docIdFrom, requireRole } from './auth';
import { HttpError, readJson, sendJson } from './json';
import type { Route } from './router';
import { parsed } from './validate';

/** `content` is text for markdown, html and text; ProseMirror JSON (or a string of it) for json. */
const contentField = z.union([z.string(), z.record(z.string(), z.unknown())]);
const formatField = z.enum(CONTENT_FORMATS, { error: `format must be one of ${CONTENT_FORMATS.join(', ')}` });

const WriteContentBody = z.strictObject({
  format: formatField,
  content: contentField,
  mode: z.enum(['append', 'replace'], { error: 'mode must be append or replace' }),
});

/** The body of `POST /api/docs`: all optional, so an empty body still makes an empty document. */
export const NewDocumentBody = z.strictObject({
  format: formatField,
  content: contentField,
  title: z.string().max(MAX_TITLE_CHARS).optional(),
});

/** Parsed content, or a 400 that says why it does not parse. */
function parsedContent(format: ContentFormat, content: unknown): PMNode {
  try {
    return parseContent(format, content);
  } catch (error) {
    if (error instanceof InvalidContentError) throw new HttpError(400, `content does not parse as ${format}: ${error.message}`);
    throw error;
  }
}

/** Reads a body that may hold a whole document, bounded by `MAX_CONTENT_BYTES` (413 past it). */
export function readContentBody(req: IncomingMessage, deps: Pick<ApiDeps, 'maxContentBytes'>): Promise<unknown> {
  return readJson(req, deps.maxContentBytes);
}

/** What a new document starts with: parsed content and a title. */
export interface InitialContent {
  readonly doc: PMNode;
  readonly title: string;
}

/** The body of `POST /api/docs`, parsed before any document is made; null for an empty body. */
export function checkNewDocumentBody(body: unknown): InitialContent | null {
  if (typeof body === 'object' && body !== null && Object.keys(body).length === 0) return null;
  const input = parsed(NewDocumentBody, body, 'document');
  return { doc: parsedContent(input.format, input.content), title: (input.title ?? '').replace(/\s+/g, ' ').trim() };
}

/**
 * Writes a new document's first content as a server change (rule K1): committed before the
 * answer, so the first reader sees it.
 */
export async function writeInitialContent(deps: Pick<ApiDeps, 'registry'>, docId: DocId, initial: InitialContent): Promise<void> {
  await deps.registry.change(docId, (ydoc) => {
    appendContent(ydoc, initial.doc);
    setInitialTitle(ydoc, initial.title);
  });
}

/**
 * A document's content over HTTP (rules K1–K4): read it in any format with any key; write it
 * (append or replace) with an edit or owner key. A write is an ordinary Yjs change made by the
 * server, committed and then relayed, computed as a minimal edit so concurrent typing survives.
 */
export function contentRoutes(deps: ApiDeps): Route[] {
  const { storage, registry, scheduler } = deps;
  const CONTENT = new RegExp(`^${Paths.docs}/([^/]+)/content$`);
  return [
    {
      method: 'GET',
      path: CONTENT,
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), anyRole, '');
        const format = new URL(req.url ?? '/', 'http://localhost').searchParams.get('format') ?? 'markdown';
        if (!isContentFormat(format)) throw new HttpError(400, `unknown format ${JSON.stringify(format)}: use one of ${CONTENT_FORMATS.join(', ')}`);
        const ydoc = new Y.Doc();
        try {
          // Only what is committed is served (rule D2).
          Y.applyUpdate(ydoc, await registry.readCommitted(docId));
          const rendered = renderContent(readDocumentContent(ydoc), format);
          res.writeHead(200, {
            'content-type': rendered.contentType,
            'content-length': Buffer.byteLength(rendered.body),
            'cache-control': 'no-store',
          });
          res.end(req.method === 'HEAD' ? undefined : rendered.body);
        } finally {
          ydoc.destroy();
        }
      },
    },
    {
      method: 'POST',
      path: CONTENT,
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), canEdit, 'this key may not change the document: an edit or owner key is required');
        const input = parsed(WriteContentBody, await readContentBody(req, deps), 'content write');
        const doc = parsedContent(input.format, input.content);
        await registry.change(docId, (ydoc) => (input.mode === 'append' ? appendContent(ydoc, doc) : replaceContent(ydoc, doc)));
        sendJson(res, 200, { ok: true });
      },
    },
  ];
}
