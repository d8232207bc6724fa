import { useLayoutEffect, useRef, useState } from 'react';
import { CONNECTION_LABEL, FIRST_ANNOUNCEMENT, nextAnnouncement, type Announcement } from '../_lib/status-announcement';
import type { DocumentSession, SessionStatus } from '../_lib/use-collab-session';
import type { ConnectionStatus } from '../_lib/connection-status';

/** "Saved" only when the server acknowledged every local change; otherwise how many wait. */
export function saveLabel(status: SessionStatus): string | null {
  const { pending, acknowledged } = status.save;
  if (pending > 0) return `${pending} ${pending === 1 ? 'change' : 'changes'} waiting`;
  return acknowledged ? 'Saved' : null;
}

interface Shown {
  readonly connection: ConnectionStatus;
  readonly announcement: string;
}

/**
 * The visible badge is not a live region (it changes with every keystroke); a hidden polite one
 * announces only transitions worth hearing (see status-announcement). It reads the session itself,
 * and writes the save part (which changes with every keystroke and acknowledgement) straight to
 * the DOM: React renders only when the connection or the announcement changes.
 */
export function StatusBadge({ store, editable }: { store: DocumentSession; editable: boolean }) {
  const badgeRef = useRef<HTMLDivElement>(null);
  const sepRef = useRef<HTMLSpanElement>(null);
  const saveRef = useRef<HTMLSpanElement>(null);
  const announcementRef = useRef<Announcement>(FIRST_ANNOUNCEMENT);
  const [shown, setShown] = useState<Shown>(() => ({ connection: store.getSnapshot().status.connection, announcement: '' }));
  const shownRef = useRef(shown);

  useLayoutEffect(() => {
    const apply = () => {
      const status = store.getSnapshot().status;
      const save = editable ? saveLabel(status) : null;
      const [badge, sep, label] = [badgeRef.current, sepRef.current, saveRef.current];
      if (badge && sep && label) {
        badge.dataset.saved = save === 'Saved' ? 'true' : 'false';
        badge.dataset.pending = String(status.save.pending);
        sep.hidden = label.hidden = save === null;
        if (label.textContent !== (save ?? '')) label.textContent = save ?? '';
      }
      const announcement = nextAnnouncement(announcementRef.current, {
        connection: status.connection,
        pending: editable ? status.save.pending : 0,
        acknowledged: status.save.acknowledged,
      });
      announcementRef.current = announcement;
      // Not even a bailed-out update per keystroke: React hears only of real changes.
      const last = shownRef.current;
      if (last.connection === status.connection && last.announcement === announcement.text) return;
      shownRef.current = { connection: status.connection, announcement: announcement.text };
      setShown(shownRef.current);
    };
    apply();
    return store.subscribe(apply);
  }, [store, editable]);

  return (
    <>
      <div ref={badgeRef} className="status-badge" data-testid="status" data-connection={shown.connection}>
        <span className="status-dot" aria-hidden="true" />
        <span className="status-connection">{CONNECTION_LABEL[shown.connection]}</span>
        <span ref={sepRef} className="status-sep" aria-hidden="true" hidden>
          ·
        </span>
        <span ref={saveRef} className="status-save" hidden />
      </div>
      <span className="visually-hidden" role="status" aria-live="polite" data-testid="status-announcement">
        {shown.announcement}
      </span>
    </>
  );
}
