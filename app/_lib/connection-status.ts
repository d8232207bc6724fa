/** What the status badge says about the connection, derived from facts the session observes. */

export type ConnectionStatus = 'connecting' | 'connected' | 'offline' | 'reconnecting';

export interface ConnectionFacts {
  /** `navigator.onLine` and its events. */
  readonly browserOnline: boolean;
  /** The WebSocket provider's last status. */
  readonly socket: 'connecting' | 'connected' | 'disconnected';
  /** Whether the provider finished the initial sync on the current socket. */
  readonly synced: boolean;
  /** Whether any socket ever synced during this visit. */
  readonly everSynced: boolean;
  /** Sockets that closed since the last successful sync. */
  readonly failures: number;
}

/** "Connected" only once the current socket synced: before that the content may be stale. */
export function connectionStatus(facts: ConnectionFacts): ConnectionStatus {
  if (!facts.browserOnline) return 'offline';
  if (facts.socket === 'connected' && facts.synced) return 'connected';
  return facts.everSynced || facts.failures > 0 ? 'reconnecting' : 'connecting';
}
