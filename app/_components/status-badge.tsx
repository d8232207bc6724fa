import type { ConnectionStatus } from '../_lib/connection-status';
import type { SessionStatus } from '../_lib/use-collab-session';

const CONNECTION_LABEL: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
};

/** "Saved" only when the server acknowledged every local change; otherwise how many wait. */
export function saveLabel(status: SessionStatus): string | null {
  const { pending, acknowledged } = status.save;
  if (pending > 0) return `${pending} ${pending === 1 ? 'change' : 'changes'} waiting`;
  return acknowledged ? 'Saved' : null;
}

export function StatusBadge({ status, editable }: { status: SessionStatus; editable: boolean }) {
  const save = editable ? saveLabel(status) : null;
  const saved = save === 'Saved';
  return (
    <div
      className="status-badge"
      role="status"
      aria-live="polite"
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
  );
}
