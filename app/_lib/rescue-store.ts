/**
 * A last-moment copy of a document with unsaved changes, written synchronously to localStorage
 * when the page goes away. IndexedDB writes are asynchronous and the browser may abort the last
 * ones on unload; this copy is applied (and dropped) on the next visit.
 */
import { fromBase64, toBase64 } from 'lib0/buffer';

const key = (docId: string) => `tandem:rescue:${docId}`;

export function saveRescue(docId: string, update: Uint8Array): void {
  try {
    localStorage.setItem(key(docId), toBase64(update));
  } catch {
    // Too large for localStorage: IndexedDB still has everything but the last moments.
  }
}

export function takeRescue(docId: string): Uint8Array | null {
  try {
    const raw = localStorage.getItem(key(docId));
    return raw ? fromBase64(raw) : null;
  } catch {
    return null;
  }
}

export function clearRescue(docId: string): void {
  localStorage.removeItem(key(docId));
}
