/**
 * Leaving with changes the server has not stored yet asks first. One listener for the session's
 * life reads the count when the page is left: the count changes with every keystroke and
 * acknowledgement, and re-rendering to add and remove a `beforeunload` listener each time is
 * not free (the browser process is told about each).
 */
import { useEffect } from 'react';
import type { DocumentSession } from './document-session';

export function useLeaveGuard(store: DocumentSession, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (store.getSnapshot().status.save.pending === 0) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [store, enabled]);
}
