/**
 * The link a person shares: `http(s)://HOST:PORT/d/<id>#key=<key>`. The key travels in the URL
 * fragment, which browsers never send to a server. The app makes these links, the CLI reads them.
 */
import { isDocId, type DocId } from './doc-id';

/** The full link someone else can open. */
export function documentLink(origin: string, docId: string, key: string): string {
  return `${origin}/d/${encodeURIComponent(docId)}#key=${encodeURIComponent(key)}`;
}

export interface ParsedLink {
  /** `http(s)://HOST:PORT`, where the API and the sync server are. */
  readonly origin: string;
  readonly docId: DocId;
  readonly key: string;
}

/** Reads a document link; throws a RangeError that shows the expected shape. */
export function parseDocumentLink(text: string): ParsedLink {
  const expected = 'expected a document link like http://HOST:PORT/d/<id>#key=<key>';
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new RangeError(`not a link: ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`not an http(s) link: ${expected}`);
  const id = /^\/d\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  let docId = '';
  try {
    docId = id ? decodeURIComponent(id) : '';
  } catch {
    // Reported below as a bad id.
  }
  if (!isDocId(docId)) throw new RangeError(`no document id in the path: ${expected}`);
  const key = new URLSearchParams(url.hash.replace(/^#/, '')).get('key')?.trim();
  if (!key) throw new RangeError(`the link has no key (#key=…): ${expected}`);
  return { origin: url.origin, docId, key };
}
