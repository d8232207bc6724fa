import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isDocId, type DocId } from '../../lib/doc-id';
import { checkKey } from '../access/access';
import { generateDocId, generateKey, generateLinkId, hashKey } from '../access/keys';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { RoomRegistry } from '../rooms/registry';
import { DocExistsError, type LinkRecord, type Storage } from '../storage/storage';
import { HttpError, bearerToken, readJson, sendEmpty, sendJson } from './json';

export interface ApiOptions {
  readonly storage: Storage;
  readonly registry: RoomRegistry;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

const CreateLinkBody = z.strictObject({
  role: z.enum(['edit', 'view']),
  expiresAt: z.iso.datetime({ offset: true }).nullish(),
});

function linkJson(link: LinkRecord) {
  return {
    id: link.id,
    role: link.role,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    createdAt: link.createdAt.toISOString(),
    revokedAt: link.revokedAt?.toISOString() ?? null,
  };
}

function docIdFrom(raw: string): DocId {
  if (!isDocId(raw)) throw new HttpError(404, 'no such document');
  return raw;
}

/** 401 without a key or with one this document does not know; 403 for a key that may not manage links. */
async function requireOwner(storage: Storage, docId: DocId, req: IncomingMessage): Promise<void> {
  const decision = await checkKey(storage, docId, bearerToken(req));
  if (decision.kind === 'unknown') throw new HttpError(401, 'an owner key is required: Authorization: Bearer <ownerKey>');
  if (decision.kind !== 'granted') throw new HttpError(403, `this key was ${decision.kind === 'revoked' ? 'revoked' : 'valid only until its expiry'}`);
  if (decision.role !== 'owner') throw new HttpError(403, 'only the owner key may manage links');
}

const DOC_ROUTE = /^\/api\/docs\/([^/]+)(\/links(?:\/([^/]+))?|\/access)?$/;

/**
 * The JSON API of CONTRACT.md, plus `GET /api/docs/<id>/access` (the role a key grants, so the
 * app can explain a refusal before opening a socket). Returns false for paths it does not own.
 */
export function createApiHandler(options: ApiOptions) {
  const { storage, registry, logger, metrics } = options;

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'use GET');
      try {
        await storage.ping();
        return sendJson(res, 200, { status: 'ok' });
      } catch (error) {
        logger.warn({ err: error }, 'health check: storage does not answer');
        return sendJson(res, 503, { status: 'unavailable', error: 'storage does not answer' });
      }
    }
    if (path === '/metrics') {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      return void res.end(text);
    }
    if (path === '/api/docs') {
      if (method !== 'POST') throw new HttpError(405, 'use POST');
      const docId = generateDocId() as DocId;
      const ownerKey = generateKey();
      const owner: LinkRecord = {
        id: generateLinkId(),
        docId,
        role: 'owner',
        keyHash: hashKey(ownerKey),
        createdAt: new Date(),
        expiresAt: null,
        revokedAt: null,
      };
      try {
        await storage.createDoc(docId, owner);
      } catch (error) {
        // 120 random bits do not collide; if they ever do, the client simply asks again.
        if (error instanceof DocExistsError) throw new HttpError(409, 'id collision; retry');
        throw error;
      }
      return sendJson(res, 201, { id: docId, ownerKey });
    }
    const match = DOC_ROUTE.exec(path);
    if (!match) throw new HttpError(404, 'not found');
    const docId = docIdFrom(decodeURIComponent(match[1] ?? ''));
    const sub = match[2];
    const linkId = match[3];

    if (sub === '/access') {
      if (method !== 'GET') throw new HttpError(405, 'use GET');
      const decision = await checkKey(storage, docId, bearerToken(req));
      if (decision.kind === 'unknown') throw new HttpError(401, 'this key does not open this document');
      if (decision.kind === 'revoked') throw new HttpError(403, 'this link was revoked');
      if (decision.kind === 'expired') throw new HttpError(403, 'this link has expired');
      return sendJson(res, 200, { role: decision.role, expiresAt: decision.link.expiresAt?.toISOString() ?? null });
    }
    if (sub !== '/links' && !linkId) throw new HttpError(404, 'not found');

    await requireOwner(storage, docId, req);
    if (!linkId) {
      if (method === 'GET') {
        const links = await storage.listLinks(docId);
        return sendJson(res, 200, links.filter((l) => l.role !== 'owner').map(linkJson));
      }
      if (method !== 'POST') throw new HttpError(405, 'use GET or POST');
      const parsed = CreateLinkBody.safeParse(await readJson(req));
      if (!parsed.success) {
        throw new HttpError(400, `invalid link: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      }
      const expiresAt = parsed.data.expiresAt ? new Date(parsed.data.expiresAt) : null;
      if (expiresAt && expiresAt.getTime() <= Date.now()) throw new HttpError(400, 'expiresAt must be in the future');
      const key = generateKey();
      const link: LinkRecord = {
        id: generateLinkId(),
        docId,
        role: parsed.data.role,
        keyHash: hashKey(key),
        createdAt: new Date(),
        expiresAt,
        revokedAt: null,
      };
      await storage.addLink(link);
      return sendJson(res, 201, { id: link.id, key, role: link.role, expiresAt: expiresAt?.toISOString() ?? null });
    }
    if (method !== 'DELETE') throw new HttpError(405, 'use DELETE');
    const links = await storage.listLinks(docId);
    const target = links.find((l) => l.id === linkId && l.role !== 'owner');
    if (!target) throw new HttpError(404, 'no such link');
    await storage.revokeLink(docId, target.id, new Date());
    registry.revokeLink(docId, target.id);
    logger.info({ docId, linkId: target.id }, 'link revoked');
    return sendEmpty(res, 204);
  }

  return function handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/healthz' && path !== '/metrics' && !path.startsWith('/api/')) return false;
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      sendEmpty(res, 204);
      return true;
    }
    route(req, res, path).catch((error: unknown) => {
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      logger.error({ err: error, path }, 'request failed');
      sendJson(res, 500, { error: 'internal error' });
    });
    return true;
  };
}
