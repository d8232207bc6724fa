/**
 * The open document as React sees it: a `DocumentSession`, read through `useSyncExternalStore`
 * one piece at a time, so a component re-renders only when the piece it shows changes (the save
 * count changes with every keystroke and acknowledgement; the session object almost never).
 */
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import { DocumentSession, type SessionSnapshot } from './document-session';
import type { Identity } from './identity';

export type { CollabSession, DocumentSession, SessionSnapshot, SessionStatus } from './document-session';

/** Opens the document for as long as the component is mounted; returns its store. */
export function useCollabSession(docId: string, key: string, identity: Identity, localCopyFirst: boolean): DocumentSession {
  // The identity only changes presence; a new document or key is a new session.
  const store = useMemo(() => new DocumentSession(docId, key, identity, localCopyFirst), [docId, key]);
  useEffect(() => store.open(), [store]);
  useEffect(() => store.setIdentity(identity), [store, identity]);
  return store;
}

/**
 * One piece of the session's snapshot. `select` must return a value that keeps its identity
 * while unchanged (a field of the snapshot, or a primitive).
 */
export function useSessionValue<T>(store: DocumentSession, select: (snapshot: SessionSnapshot) => T): T {
  const get = useCallback(() => select(store.getSnapshot()), [store, select]);
  const getServer = useCallback(() => select(store.getServerSnapshot()), [store, select]);
  return useSyncExternalStore(store.subscribe, get, getServer);
}
