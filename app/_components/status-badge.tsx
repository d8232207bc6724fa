import { useState } from 'react';
import { CONNECTION_LABEL, FIRST_ANNOUNCEMENT, nextAnnouncement } from '../_lib/status-announcement';
import { useSessionStatus, type DocumentSession, type SessionStatus } from '../_lib/use-collab-session';

/** "Saved" only when the server acknowledged every local change; otherwise how many wait. */
export function saveLabel(status: SessionStatus): string | null {
  const { pending, acknowledged } = status.save;
  if (pending > 0) return `${pending} ${pending === 1 ? 'change' : 'changes'} waiting`;
  return acknowledged ? 'Saved' : null;
}

/**
 * The visible badge is not a live region (it changes with every keystroke); a hidden polite one
 * announces only transitions worth hearing (see status-announcement). It reads the session itself:
 * the count changes with every keystroke, and only the badge needs to show it.
 */
export function StatusBadge({ store, editable }: { store: DocumentSession; editable: boolean }) {
  const status = useSessionStatus(store);
  const save = editable ? saveLabel(status) : null;
  const saved = save === 'Saved';
  const announced = { connection: status.connection, pending: editable ? status.save.pending : 0, acknowledged: status.save.acknowledged };
  // Derived state kept across renders, updated during render as React recommends for it.
  const [announcement, setAnnouncement] = useState(() => nextAnnouncement(FIRST_ANNOUNCEMENT, announced));
  const next = nextAnnouncement(announcement, announced);
  if (next.text !== announcement.text || next.awaitingSave !== announcement.awaitingSave) setAnnouncement(next);
  return (
    <>
      <div
        className="status-badge"
        data-testid="status"
        data-connection={status.connection}
        data-saved={saved ? 'true' : 'false'}
        data-pending={status.save.pending}
      >
        <span className="status-dot" aria-hidden="true" />
        <span className="status-connection">{CONNECTION_LABEL[status.connection]}</span>
        {save ? (
          <>
            <span className="status-sep" aria-hidden="true">·</span>
            <span className="status-save">{save}</span>
          </>
        ) : null}
      </div>
      <span className="visually-hidden" role="status" aria-live="polite" data-testid="status-announcement">
        {announcement.text}
      </span>
    </>
  );
}
