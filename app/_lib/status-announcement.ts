/**
 * What the status badge's live region says. The visible badge changes with every keystroke
 * ("1 change waiting", "Saved"); a screen reader should hear only what the person needs to act
 * on: the connection changing, changes waiting while not connected, and those changes being
 * saved once it is back. While connected, a keystroke is saved within milliseconds: silence
 * (docs/PROTOCOL.md, rule E2).
 */
import type { ConnectionStatus } from './connection-status';

export const CONNECTION_LABEL: Record<ConnectionStatus, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
};

export interface AnnouncedStatus {
  readonly connection: ConnectionStatus;
  /** Local changes the server has not acknowledged yet (0 for people who do not write). */
  readonly pending: number;
  readonly acknowledged: boolean;
}

export interface Announcement {
  readonly text: string;
  /** Changes waited while not connected, and their saving has not been announced yet. */
  readonly awaitingSave: boolean;
}

export const FIRST_ANNOUNCEMENT: Announcement = { text: '', awaitingSave: false };

/** The next announcement, given the last one: equal text means nothing new is said. */
export function nextAnnouncement(previous: Announcement, status: AnnouncedStatus): Announcement {
  const label = CONNECTION_LABEL[status.connection];
  if (status.connection !== 'connected') {
    return status.pending > 0 ? { text: `${label}, changes waiting`, awaitingSave: true } : { text: label, awaitingSave: previous.awaitingSave };
  }
  // "Connected, all changes saved" stays as it is while typing goes on: nothing new to say.
  if (!previous.awaitingSave) return { text: previous.text.startsWith(label) ? previous.text : label, awaitingSave: false };
  if (status.pending === 0 && status.acknowledged) return { text: `${label}, all changes saved`, awaitingSave: false };
  return { text: `${label}, saving`, awaitingSave: true };
}
