/**
 * The documents this browser has opened, kept in localStorage with the key that opened them,
 * so `/` can list them and a document reopens without its link.
 */
import type { Role } from '../../lib/roles';

export interface RecentDoc {
  readonly id: string;
  readonly title: string;
  readonly role: Role;
  readonly key: string;
  /** Milliseconds since the epoch. */
  readonly lastOpened: number;
}

const STORAGE_KEY = 'tandem:docs';
const CHANGE_EVENT = 'tandem:docs-changed';
const ROLES: ReadonlySet<string> = new Set(['owner', 'edit', 'comment', 'view']);

function isRecentDoc(value: unknown): value is RecentDoc {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === 'string' && typeof v.title === 'string' && typeof v.key === 'string'
    && typeof v.lastOpened === 'number' && typeof v.role === 'string' && ROLES.has(v.role);
}

let cachedRaw: string | null = null;
let cachedList: readonly RecentDoc[] = [];

/** Most recently opened first. The same array is returned until storage changes (for useSyncExternalStore). */
export function listRecentDocs(): readonly RecentDoc[] {
  const raw = localStorage.getItem(STORAGE_KEY);
  if (raw === cachedRaw) return cachedList;
  let parsed: unknown = [];
  try {
    parsed = raw ? JSON.parse(raw) : [];
  } catch {
    parsed = [];
  }
  cachedRaw = raw;
  cachedList = (Array.isArray(parsed) ? parsed.filter(isRecentDoc) : []).sort((a, b) => b.lastOpened - a.lastOpened);
  return cachedList;
}

export function findRecentDoc(id: string): RecentDoc | undefined {
  return listRecentDocs().find((doc) => doc.id === id);
}

function write(list: readonly RecentDoc[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
  window.dispatchEvent(new Event(CHANGE_EVENT));
}

/** Inserts or updates one entry; fields not given keep their stored value. */
export function rememberDoc(id: string, fields: Partial<Omit<RecentDoc, 'id'>>): void {
  const list = listRecentDocs();
  const existing = list.find((doc) => doc.id === id);
  const next: RecentDoc = {
    id,
    title: fields.title ?? existing?.title ?? '',
    role: fields.role ?? existing?.role ?? 'view',
    key: fields.key ?? existing?.key ?? '',
    lastOpened: fields.lastOpened ?? existing?.lastOpened ?? Date.now(),
  };
  if (existing && JSON.stringify(existing) === JSON.stringify(next)) return;
  write([next, ...list.filter((doc) => doc.id !== id)]);
}

export function forgetDoc(id: string): void {
  write(listRecentDocs().filter((doc) => doc.id !== id));
}

/** Subscribes to changes from this tab and from other tabs. */
export function subscribeRecentDocs(onChange: () => void): () => void {
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY) onChange();
  };
  window.addEventListener(CHANGE_EVENT, onChange);
  window.addEventListener('storage', onStorage);
  return () => {
    window.removeEventListener(CHANGE_EVENT, onChange);
    window.removeEventListener('storage', onStorage);
  };
}
