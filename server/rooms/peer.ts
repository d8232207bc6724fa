import type { Role } from '../../lib/roles';

/**
 * What a room sees of a connection. It knows nothing of WebSockets, so rooms run without a
 * network (the simulation in tests/sim drives them with fake peers) and the transport can
 * change without touching them.
 */
export interface Peer {
  readonly role: Role;
  /** The link whose key opened this connection, for closing it when the link is revoked; null for the server itself. */
  readonly linkId: string | null;
  /** Asked for `MessageType.Saved` acknowledgements. */
  readonly wantsSavedAcks: boolean;
  /** Queues a frame; queued frames are written together at the end of the event-loop turn. */
  send(frame: Uint8Array): void;
  /** Closes the connection; the transport then calls RoomRegistry.leave. */
  close(code: number, reason: string): void;
}
