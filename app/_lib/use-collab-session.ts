/** The open document as React sees it: a `DocumentSession` read through `useSyncExternalStore`. */
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { DocumentSession, type SessionSnapshot } from './document-session';
import type { Identity } from './identity';

export type { CollabSession, SessionStatus } from './document-session';

export function useCollabSession(docId: string, key: string, identity: Identity): SessionSnapshot {
  // The identity only changes presence; a new document or key is a new session.
  const store = useMemo(() => new DocumentSession(docId, key, identity), [docId, key]);
  useEffect(() => store.open(), [store]);
  useEffect(() => store.setIdentity(identity), [store, identity]);
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot);
}
