'use client';

import { useCallback, useEffect, useState } from 'react';
import type { Role } from '../../lib/roles';
import { ApiError } from '../_lib/http';
import { checkAccess } from '../_lib/early-access';
import { docIdFromPath, readKeyFromHash } from '../_lib/key-fragment';
import { findRecentDoc, rememberDoc } from '../_lib/recent-docs';
import { refusalFromStatus, type Refusal } from '../_lib/refusal';
import { DocumentWorkspace } from './document-workspace';
import { RefusalScreen } from './refusal-screen';

type Phase =
  | { readonly kind: 'checking' }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  | { readonly kind: 'ready'; readonly docId: string; readonly key: string; readonly role: Role; readonly openedBefore: boolean };

const RANK: Record<Role, number> = { view: 0, comment: 1, edit: 2, owner: 3 };

/**
 * Finds the key (URL fragment, else this browser's memory), asks the server what it allows, and
 * only then connects: a refused key gets a clear page, never a reconnect loop.
 */
export function DocumentScreen({ docId: routeDocId }: { docId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });

  const resolve = useCallback(async () => {
    setPhase({ kind: 'checking' });
    // The service worker may answer an offline reload with another document's page shell.
    const docId = docIdFromPath(location.pathname) ?? routeDocId;
    const hashKey = readKeyFromHash(location.hash);
    const stored = findRecentDoc(docId);
    const key = hashKey ?? (stored?.key || null);
    if (!key) {
      setPhase({ kind: 'refused', refusal: { kind: 'no-key' } });
      return;
    }
    try {
      const { role } = await checkAccess(docId, key);
      // Opening a lesser link must not make this browser forget a better key it already holds.
      const keep = stored && stored.key !== key && RANK[stored.role] > RANK[role];
      rememberDoc(docId, keep ? { lastOpened: Date.now() } : { key, role, lastOpened: Date.now() });
      if (role === 'owner' && hashKey) {
        // The owner key is remembered; keep it out of the address bar so it is not shared by accident.
        history.replaceState(history.state, '', location.pathname + location.search);
      }
      setPhase({ kind: 'ready', docId, key, role, openedBefore: stored !== undefined });
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      if (status === 401 || status === 403 || status === 404 || status === 400) {
        setPhase({ kind: 'refused', refusal: refusalFromStatus(status, err instanceof Error ? err.message : '') });
        return;
      }
      // Offline or server trouble: open the local copy with what this browser knows; the socket
      // reports a refusal itself once it can connect.
      if (stored && stored.key === key) {
        rememberDoc(docId, { lastOpened: Date.now() });
        setPhase({ kind: 'ready', docId, key, role: stored.role, openedBefore: true });
      } else {
        setPhase({ kind: 'refused', refusal: { kind: 'offline-unknown' } });
      }
    }
  }, [routeDocId]);

  useEffect(() => {
    void resolve();
    // Pasting another link into the address bar of this tab only changes the fragment.
    const onHashChange = () => void resolve();
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [resolve]);

  useEffect(() => {
    if (phase.kind !== 'refused' || phase.refusal.kind !== 'offline-unknown') return;
    const onOnline = () => void resolve();
    window.addEventListener('online', onOnline);
    return () => window.removeEventListener('online', onOnline);
  }, [phase, resolve]);

  switch (phase.kind) {
    case 'checking':
      return (
        <main id="main" className="loading-page" aria-busy="true">
          <div className="spinner" aria-hidden="true" />
          <p>Opening document…</p>
        </main>
      );
    case 'refused':
      return <RefusalScreen refusal={phase.refusal} onRetry={() => void resolve()} />;
    case 'ready':
      return <DocumentWorkspace key={`${phase.docId}:${phase.key}`} docId={phase.docId} docKey={phase.key} role={phase.role} openedBefore={phase.openedBefore} />;
  }
}
