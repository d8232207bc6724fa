import type { IncomingMessage, ServerResponse } from 'node:http';
import { Paths } from '../../lib/protocol';
import type { ApiDeps } from './api-deps';
import { commentRoutes } from './comment-routes';
import { contentRoutes } from './content-routes';
import { documentRoutes } from './document-routes';
import { HttpError, sendEmpty, sendJson } from './json';
import { linkRoutes } from './link-routes';
import { matchRoute, type Route } from './router';
import { versionRoutes } from './version-routes';

const HEALTH_TIMEOUT_MS = 2_000;

function withTimeout(promise: Promise<void>, ms: number): Promise<'ok' | 'unavailable'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('unavailable'), ms);
    promise.then(
      () => resolve('ok'),
      () => resolve('unavailable'),
    ).finally(() => clearTimeout(timer));
  });
}

/**
 * The HTTP side of the server: the JSON API under /api/, /healthz and /metrics. Returns false
 * for paths it does not own, so the web app can serve them.
 */
export function createApiHandler(deps: ApiDeps, extraRoutes: readonly Route[] = []) {
  const { storage, bus, admission, metrics, logger } = deps;
  const routes: Route[] = [...documentRoutes(deps), ...linkRoutes(deps), ...commentRoutes(deps), ...contentRoutes(deps), ...versionRoutes(deps), ...extraRoutes];

  async function health(res: ServerResponse): Promise<void> {
    const [storageState, busState] = await Promise.all([withTimeout(storage.ping(), HEALTH_TIMEOUT_MS), withTimeout(bus.ping(), HEALTH_TIMEOUT_MS)]);
    const ok = storageState === 'ok' && busState === 'ok';
    if (!ok) logger.warn({ storage: storageState, bus: busState }, 'health check failed');
    if (ok) return sendJson(res, 200, { status: 'ok' });
    sendJson(res, 503, { status: 'unavailable', storage: storageState, bus: busState });
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // Another site's page must not act with its visitor's browser (rule H2).
    if (!admission.originAllowed(req)) throw new HttpError(403, 'this origin may not use this API');
    const corsOrigin = admission.corsOrigin(req);
    if (corsOrigin) {
      res.setHeader('access-control-allow-origin', corsOrigin);
      res.setHeader('vary', 'origin');
    }
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-max-age', '600');
      return sendEmpty(res, 204);
    }
    const ip = admission.clientIp(req);
    const limited = (await admission.request(ip)) ?? (method === 'POST' && path === Paths.docs ? await admission.creation(ip) : null);
    if (limited) {
      metrics.rateLimited.inc({ what: method === 'POST' && path === Paths.docs ? 'create' : 'api' });
      throw new HttpError(limited.status, limited.reason);
    }
    const { route, params } = matchRoute(routes, method, path);
    await route.handle({ req, res, params, ip });
  }

  return function handleRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let work: Promise<void>;
    if (path === Paths.health) {
      work = req.method === 'GET' || req.method === 'HEAD' ? health(res) : Promise.reject(new HttpError(405, 'use GET'));
    } else if (path === Paths.metrics) {
      work =
        req.method === 'GET'
          ? metrics.registry.metrics().then((text) => {
              res.writeHead(200, { 'content-type': metrics.registry.contentType });
              res.end(text);
            })
          : Promise.reject(new HttpError(405, 'use GET'));
    } else if (path === '/api' || path.startsWith('/api/')) {
      work = serveApi(req, res, path);
    } else {
      return false;
    }
    work.catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      logger.error({ err: error, path }, 'request failed');
      sendJson(res, 500, { error: 'internal error' });
    });
    return true;
  };
}
