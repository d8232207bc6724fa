import { z } from 'zod';
import { Paths } from '../../lib/protocol';
import { LINK_ROLES } from '../../lib/roles';
import { generateKey, generateLinkId, hashKey } from '../access/keys';
import type { LinkRecord } from '../storage/link-store';
import type { ApiDeps } from './api-deps';
import { docIdFrom, ownerOnly, requireRole } from './auth';
import { HttpError, readJson, sendEmpty, sendJson } from './json';
import type { Route } from './router';

/** Links one document may have, revoked ones included: every key check and listing stays small. */
export const MAX_LINKS_PER_DOCUMENT = 1_000;

const CreateLinkBody = z.strictObject({
  role: z.enum(LINK_ROLES as [string, ...string[]]),
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

/** The owner's share links: make, list, revoke. */
export function linkRoutes(deps: ApiDeps): Route[] {
  const { storage, registry, logger, scheduler } = deps;
  const owner = (docId: ReturnType<typeof docIdFrom>, req: Parameters<Route['handle']>[0]['req']) =>
    requireRole(storage.links, docId, req, scheduler.now(), ownerOnly, 'only the owner key may manage links');
  const LINKS = `^${Paths.docs}/([^/]+)/links`;
  return [
    {
      method: 'GET',
      path: new RegExp(`${LINKS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await owner(docId, req);
        const links = await storage.links.listLinks(docId);
        sendJson(res, 200, links.filter((l) => l.role !== 'owner').map(linkJson));
      },
    },
    {
      method: 'POST',
      path: new RegExp(`${LINKS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await owner(docId, req);
        const parsed = CreateLinkBody.safeParse(await readJson(req));
        if (!parsed.success) {
          throw new HttpError(400, `invalid link: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
        }
        const now = scheduler.now();
        const expiresAt = parsed.data.expiresAt ? new Date(parsed.data.expiresAt) : null;
        if (expiresAt && expiresAt.getTime() <= now) throw new HttpError(400, 'expiresAt must be in the future');
        if ((await storage.links.listLinks(docId)).length >= MAX_LINKS_PER_DOCUMENT) {
          throw new HttpError(409, `a document may have at most ${MAX_LINKS_PER_DOCUMENT} links`);
        }
        const key = generateKey();
        const link: LinkRecord = {
          id: generateLinkId(),
          docId,
          role: parsed.data.role as LinkRecord['role'],
          keyHash: hashKey(key),
          createdAt: new Date(now),
          expiresAt,
          revokedAt: null,
        };
        await storage.links.addLink(link);
        sendJson(res, 201, { id: link.id, key, role: link.role, expiresAt: expiresAt?.toISOString() ?? null });
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`${LINKS}/([^/]+)$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        const linkId = params[1]!;
        await owner(docId, req);
        const links = await storage.links.listLinks(docId);
        const target = links.find((l) => l.id === linkId && l.role !== 'owner');
        if (!target) throw new HttpError(404, 'no such link');
        await storage.links.revokeLink(docId, target.id, new Date(scheduler.now()));
        registry.revokeLink(docId, target.id);
        logger.info({ docId, linkId: target.id }, 'link revoked');
        sendEmpty(res, 204);
      },
    },
  ];
}
