import { ProtocolError } from '../protocol/frames';
import type { AwarenessEntry } from '../protocol/awareness-entries';

/** How long a removed client's last clock is remembered, so late echoes of its removal stay ignored. */
const REMOVED_TTL_MS = 30_000;

interface PresenceRecord extends AwarenessEntry {
  /** The connection that introduced this client id, while it is live. */
  owner: object | null;
  /** When the entry was removed (state null), for forgetting it later. */
  removedAt: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function assertJson(bytes: Uint8Array): void {
  try {
    JSON.parse(utf8.decode(bytes));
  } catch {
    throw new ProtocolError('awareness state is not valid JSON');
  }
}

/**
 * A room's presence: the latest awareness entry of every client, with who owns each client id.
 *
 * Stock y-websocket clients echo every awareness change they receive, other clients' entries
 * included (field note 1), so foreign entries are filtered, not treated as an attack: a
 * connection owns the ids it introduced first that no other live connection owns, and entries
 * for ids it does not own, or that are not newer than what we have, are dropped before their
 * state is even looked at. That keeps the echo cheap and stops one client speaking for another.
 */
export class Presence {
  private readonly records = new Map<number, PresenceRecord>();

  /**
   * Applies the entries `owner` may set and returns those that changed, for broadcasting.
   * Throws ProtocolError for an accepted entry whose state is not JSON.
   */
  apply(owner: object, entries: readonly AwarenessEntry[], now = Date.now()): AwarenessEntry[] {
    const changed: AwarenessEntry[] = [];
    for (const entry of entries) {
      const current = this.records.get(entry.clientId);
      if (current) {
        if (current.owner !== null && current.owner !== owner) continue;
        if (entry.clock < current.clock) continue;
        // Same clock: only a removal of a present state is news (y-protocols' own rule).
        if (entry.clock === current.clock && !(entry.state === null && current.state !== null)) continue;
        // A client id is only claimed by a live state, never by echoing its removal.
        if (current.owner === null && entry.state === null) continue;
      } else if (entry.state === null) {
        continue;
      }
      if (entry.state !== null) assertJson(entry.state);
      const record: PresenceRecord = { ...entry, owner: entry.state === null ? null : owner, removedAt: entry.state === null ? now : 0 };
      this.records.set(entry.clientId, record);
      changed.push(entry);
    }
    return changed;
  }

  /** Applies entries relayed from another server instance, which has already filtered them. */
  applyRemote(entries: readonly AwarenessEntry[], now = Date.now()): AwarenessEntry[] {
    const changed: AwarenessEntry[] = [];
    for (const entry of entries) {
      const current = this.records.get(entry.clientId);
      if (current && (current.owner !== null || entry.clock < current.clock)) continue;
      if (current && entry.clock === current.clock && !(entry.state === null && current.state !== null)) continue;
      this.records.set(entry.clientId, { ...entry, owner: null, removedAt: entry.state === null ? now : 0 });
      changed.push(entry);
    }
    return changed;
  }

  /**
   * Removes every client `owner` set and returns the removals. The removal keeps the entry's
   * clock (which y-protocols accepts as a removal of a present state), so a client that
   * reconnects with the same id is seen again after its next change.
   */
  release(owner: object, now = Date.now()): AwarenessEntry[] {
    const removed: AwarenessEntry[] = [];
    for (const [clientId, record] of this.records) {
      if (record.owner !== owner) continue;
      const removal = { clientId, clock: record.clock, state: null, owner: null, removedAt: now };
      this.records.set(clientId, removal);
      removed.push(removal);
    }
    return removed;
  }

  /** Every client with a state, for a connection that just joined or asked. */
  present(): AwarenessEntry[] {
    const entries: AwarenessEntry[] = [];
    for (const record of this.records.values()) if (record.state !== null) entries.push(record);
    return entries;
  }

  /** Forgets removed clients after a while so a long-lived room's presence stays bounded. */
  prune(now = Date.now()): void {
    for (const [clientId, record] of this.records) {
      if (record.state === null && now - record.removedAt > REMOVED_TTL_MS) this.records.delete(clientId);
    }
  }

  get size(): number {
    return this.records.size;
  }
}
