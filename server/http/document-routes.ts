import { Paths } from '../../lib/protocol';
import { generateDocId, generateKey, generateLinkId, hashKey } from '../access/keys';
import type { DocId } from '../../lib/doc-id';
import { DocExistsError, type LinkRecord } from '../storage/link-store';
import type { ApiDeps } from './api-deps';
import { anyRole, docIdFrom, ownerOnly, requireRole } from './auth';
import { checkNewDocumentBody, readContentBody, writeInitialContent } from './content-routes';
import { HttpError, sendEmpty, sendJson } from './json';
import type { Route } from './router';

const DOC = `^${Paths.docs}/([^/]+)`;

/** Creates an empty document and its owner link; returns the owner key (the only time it is seen). */
export async function createDocument(deps: ApiDeps): Promise<{ id: DocId; ownerKey: string }> {
  const docId = generateDocId() as DocId;
  const ownerKey = generateKey();
  const owner: LinkRecord = {
    id: generateLinkId(),
    docId,
    role: 'owner',
    keyHash: hashKey(ownerKey),
    createdAt: new Date(deps.scheduler.now()),
    expiresAt: null,
    revokedAt: null,
  };
  try {
    await deps.storage.links.createDoc(docId, owner);
  } catch (error) {
    // 120 random bits do not collide; if they ever do, the client simply asks again.
    if (error instanceof DocExistsError) throw new HttpError(409, 'id collision; retry');
    throw error;
  }
  return { id: docId, ownerKey };
}

/** Creating, deleting and asking about a document as a whole. */
export function documentRoutes(deps: ApiDeps): Route[] {
  const { storage, registry, logger, scheduler } = deps;
  return [
    {
      method: 'POST',
      path: new RegExp(`^${Paths.docs}$`),
      async handle({ req, res }) {
        // Content is checked before the document exists, so a bad import makes nothing.
        const initial = checkNewDocumentBody(await readContentBody(req, deps));
        const created = await createDocument(deps);
        if (initial) await writeInitialContent(deps, created.id, initial);
        sendJson(res, 201, created);
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`${DOC}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), ownerOnly, 'only the owner key may delete the document');
        // Links first, so no new connection opens it; then close the live ones everywhere; then
        // the content, once what they had sent is committed (nothing can append after that).
        await storage.links.deleteDoc(docId);
        registry.closeDeleted(docId);
        await registry.whenCommitted(docId);
        await storage.log.remove(docId);
        await storage.versions.removeAll(docId);
        logger.info({ docId }, 'document deleted');
        sendEmpty(res, 204);
      },
    },
    {
      // The role a key grants, so the app can explain a refusal before opening a socket.
      method: 'GET',
      path: new RegExp(`${DOC}/access$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        const { role, link } = await requireRole(storage.links, docId, req, scheduler.now(), anyRole, '');
        sendJson(res, 200, { role, expiresAt: link.expiresAt?.toISOString() ?? null });
      },
    },
  ];
}
