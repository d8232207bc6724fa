/**
 * The access check of the document the page was opened on, sent as soon as the page's script
 * runs rather than once React has hydrated and mounted the screen: on a document page that is
 * several hundred milliseconds in which the server can already answer. The first check of the
 * same document and key takes it; every later check (another link pasted, a retry) asks again.
 */
import { fetchAccess, type Access } from './document-api';
import { docIdFromPath, readKeyFromHash } from './key-fragment';
import { findRecentDoc } from './recent-docs';

let early = startEarly();

function startEarly(): { docId: string; key: string; access: Promise<Access> } | null {
  if (typeof window === 'undefined') return null;
  const docId = docIdFromPath(location.pathname);
  if (!docId) return null;
  let key = readKeyFromHash(location.hash);
  try {
    key ??= findRecentDoc(docId)?.key || null;
  } catch {
    // Storage refused (a locked-down browser): the screen's own check finds the key or says so.
  }
  if (!key) return null;
  const access = fetchAccess(docId, key);
  // Its failure is handled by the check that takes it; none may never come (the page unloads).
  access.catch(() => {});
  return { docId, key, access };
}

/** What `key` may do on `docId`: the early answer if it is for these, else a new request. */
export function checkAccess(docId: string, key: string): Promise<Access> {
  const started = early;
  early = null;
  if (started && started.docId === docId && started.key === key) return started.access;
  return fetchAccess(docId, key);
}
