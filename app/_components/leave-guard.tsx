'use client';

import { useEffect } from 'react';
import { useSessionValue, type DocumentSession, type SessionSnapshot } from '../_lib/use-collab-session';

const hasUnsaved = (snapshot: SessionSnapshot) => snapshot.status.save.pending > 0;

/**
 * Leaving with changes the server has not stored yet asks first. A component of its own so the
 * flag, which flips with every keystroke and acknowledgement, re-renders nothing else.
 */
export function LeaveGuard({ store }: { store: DocumentSession }): null {
  const unsaved = useSessionValue(store, hasUnsaved);
  useEffect(() => {
    if (!unsaved) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [unsaved]);
  return null;
}
