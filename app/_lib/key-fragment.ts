/** The key travels in the URL fragment (`#key=…`), which browsers never send to a server. */

export function readKeyFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const key = params.get('key')?.trim();
  return key ? key : null;
}

/** The full link someone else can open. */
export { documentLink } from '../../lib/doc-link';

/** The document id from a `/d/<id>` path (the service worker may serve another document's page shell). */
export function docIdFromPath(pathname: string): string | null {
  const match = /^\/d\/([^/]+)\/?$/.exec(pathname);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}
