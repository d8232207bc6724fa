/**
 * Keys of the share links this browser created. The API never returns a key twice, so the
 * owner can copy a link again only from the browser that made it.
 */
const prefix = (docId: string) => `tandem:links:${docId}`;

export function loadShareKeys(docId: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(prefix(docId)) ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function saveShareKey(docId: string, linkId: string, key: string): void {
  localStorage.setItem(prefix(docId), JSON.stringify({ ...loadShareKeys(docId), [linkId]: key }));
}
