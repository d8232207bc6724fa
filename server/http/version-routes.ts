import { z } from 'zod';
import { CONTENT_FORMATS, CONTENT_TYPES, isContentFormat } from '../../lib/content-format';
import { Paths } from '../../lib/protocol';
import { canEdit } from '../../lib/roles';
import { renderContent, type DocumentContent } from '../content/render';
import type { VersionRecord } from '../storage/version-store';
import type { ApiDeps } from './api-deps';
import { anyRole, docIdFrom, requireRole } from './auth';
import { HttpError, readJson, sendJson } from './json';
import type { Route } from './router';

/** Longest version name. */
export const MAX_VERSION_NAME_CHARS = 200;

const NameVersionBody = z.strictObject({ name: z.string().trim().min(1).max(MAX_VERSION_NAME_CHARS) });

function listedJson(record: VersionRecord) {
  return { id: record.id, createdAt: record.createdAt.toISOString(), name: record.name, authors: record.authors };
}

/**
 * Versions over HTTP (rules V1, V2, V6): list and read them with any key; name one and restore
 * one with an edit or owner key.
 */
export function versionRoutes(deps: ApiDeps): Route[] {
  const { storage, scheduler, versions } = deps;
  const VERSIONS = `^${Paths.docs}/([^/]+)/versions`;
  const editor = (docId: ReturnType<typeof docIdFrom>, req: Parameters<Route['handle']>[0]['req']) =>
    requireRole(storage.links, docId, req, scheduler.now(), canEdit, 'this key may not change the document: it cannot name or restore versions');

  return [
    {
      method: 'GET',
      path: new RegExp(`${VERSIONS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), anyRole, '');
        sendJson(res, 200, (await versions.list(docId)).map(listedJson));
      },
    },
    {
      method: 'POST',
      path: new RegExp(`${VERSIONS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await editor(docId, req);
        const parsed = NameVersionBody.safeParse(await readJson(req));
        if (!parsed.success) throw new HttpError(400, `invalid version: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
        const record = await versions.take(docId, parsed.data.name);
        if (!record) throw new HttpError(404, 'no such document');
        sendJson(res, 201, { id: record.id, createdAt: record.createdAt.toISOString(), name: record.name });
      },
    },
    {
      method: 'GET',
      path: new RegExp(`${VERSIONS}/([^/]+)$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), anyRole, '');
        const format = new URL(req.url ?? '/', 'http://localhost').searchParams.get('format') ?? 'markdown';
        if (!isContentFormat(format)) throw new HttpError(400, `unknown format ${JSON.stringify(format)}: use one of ${CONTENT_FORMATS.join(', ')}`);
        const version = await versions.read(docId, params[1]!);
        if (!version) throw new HttpError(404, 'no such version');
        const rendered = format === 'json' ? { contentType: CONTENT_TYPES.json, body: JSON.stringify(versionJson(version.content)) } : renderContent(version.content, format);
        res.writeHead(200, { 'content-type': rendered.contentType, 'cache-control': 'no-store' });
        res.end(rendered.body);
      },
    },
    {
      method: 'POST',
      path: new RegExp(`${VERSIONS}/([^/]+)/restore$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await editor(docId, req);
        const before = await versions.restore(docId, params[1]!);
        if (!before) throw new HttpError(404, 'no such version');
        sendJson(res, 200, { id: before.id });
      },
    },
  ];
}

/**
 * A version as JSON (rule V2): its ProseMirror document itself (`{"type": "doc", ...}`, what
 * `Node.fromJSON` reads), which also carries `title` and `doc` as the content endpoint's JSON
 * does, so code written for either shape reads a version unchanged.
 */
function versionJson(content: DocumentContent): Record<string, unknown> {
  const doc = content.doc.toJSON() as Record<string, unknown>;
  return { ...doc, title: content.title, doc };
}
