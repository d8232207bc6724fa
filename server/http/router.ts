import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './json';

/** What a route handler gets: the request, its response, and the path's decoded parameters. */
export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: readonly string[];
  /** The client's address, as limits count it. */
  readonly ip: string;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Anchored; each capture group is one path parameter, percent-decoded before the handler sees it. */
  readonly path: RegExp;
  handle(context: RouteContext): Promise<void>;
}

/**
 * Finds the route for a method and path. Throws HttpError: 404 for a path no route has, 405
 * (naming the methods it has) for a known path with another method, 400 for a parameter whose
 * percent-encoding is malformed.
 */
export function matchRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: string[] } {
  const allowed: string[] = [];
  for (const route of routes) {
    const match = route.path.exec(path);
    if (!match) continue;
    if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
      allowed.push(route.method);
      continue;
    }
    const params = match.slice(1).map((raw) => {
      try {
        return decodeURIComponent(raw ?? '');
      } catch {
        throw new HttpError(400, 'malformed percent-encoding in the path');
      }
    });
    return { route, params };
  }
  if (allowed.length > 0) throw new HttpError(405, `use ${allowed.join(' or ')}`);
  throw new HttpError(404, 'not found');
}
