import { ProtocolError } from '../protocol/frames';
import type { AwarenessEntry } from '../protocol/awareness-entries';

/** Bounds on one document's presence (docs/PROTOCOL.md, rules P3–P5). */
export interface PresenceLimits {
  /** Client ids one connection may own at once; a stock client needs one, a reconnect may briefly need two. */
  readonly maxClientsPerConnection: number;
  /** Client ids one connection may ever introduce, so introducing and removing ids cannot grow memory. */
  readonly maxClientsIntroducedPerConnection: number;
  /** Bytes of one client's state (its JSON). */
  readonly maxStateBytes: number;
  /** Clients with a state in one document; past it, newcomers' presence is dropped (they still edit). */
  readonly maxClientsPerDocument: number;
  /** Bytes of every state in one document: what a newcomer receives when it joins. */
  readonly maxDocumentStateBytes: number;
}

export const DEFAULT_PRESENCE_LIMITS: PresenceLimits = {
  maxClientsPerConnection: 4,
  maxClientsIntroducedPerConnection: 16,
  maxStateBytes: 16 * 1024,
  maxClientsPerDocument: 1_000,
  maxDocumentStateBytes: 4 * 1024 * 1024,
};

/** How long a removed client's last clock is remembered, so late echoes of its removal stay ignored. */
export const REMOVED_TTL_MS = 30_000;
/**
 * How long an entry relayed from another instance lives without renewal. Clients renew their
 * state every 15 s (y-protocols' awareness does), so only the entries of an instance that died
 * without saying goodbye expire.
 */
export const REMOTE_TTL_MS = 30_000;

/** Another server instance, as the owner of the entries it relays. */
class RemoteInstance {
  constructor(readonly id: string) {}
}

/** Who set an entry: a local connection (any object that stands for it), or another server instance. */
export type PresenceOwner = object;

interface PresenceRecord extends AwarenessEntry {
  /** Whoever introduced this client id, while its state is live; null after a removal. */
  owner: PresenceOwner | null;
  /** When the entry last changed (scheduler clock), for forgetting removals and expiring remote entries. */
  changedAt: number;
}

/** What one connection holds, for its limits. */
interface OwnerUsage {
  owned: number;
  introduced: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest author name kept from a presence state. */
const MAX_NAME_CHARS = 100;

function userNameIn(state: Uint8Array): string | null {
  try {
    const parsed: unknown = JSON.parse(utf8.decode(state));
    const user = typeof parsed === 'object' && parsed !== null ? (parsed as { user?: unknown }).user : undefined;
    const name = typeof user === 'object' && user !== null ? (user as { name?: unknown }).name : undefined;
    return typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, MAX_NAME_CHARS) : null;
  } catch {
    return null;
  }
}

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
 * included, so foreign entries are filtered, not treated as an attack: a connection owns the ids
 * it introduced first that nobody else owns, and entries for ids it does not own, or that are
 * not newer than what we have, are dropped before their state is even looked at (rules P1, P2).
 * That keeps the echo cheap and stops one client speaking for another, local or remote.
 */
export class Presence {
  private readonly records = new Map<number, PresenceRecord>();
  private readonly usage = new Map<PresenceOwner, OwnerUsage>();
  private liveClients = 0;
  private liveBytes = 0;
  private remoteEntries = 0;

  constructor(private readonly limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS) {}

  /**
   * Applies the entries `owner` (a local connection) may set and returns those that changed, for
   * broadcasting. Throws ProtocolError for a state that is not JSON or too large, or past the
   * connection's client limits; drops new clients once the document is full.
   */
  apply(owner: object, entries: readonly AwarenessEntry[], now: number): AwarenessEntry[] {
    const changed: AwarenessEntry[] = [];
    for (const entry of entries) {
      const current = this.records.get(entry.clientId);
      if (!this.isNews(current, entry, owner)) continue;
      if (entry.state !== null) {
        if (entry.state.length > this.limits.maxStateBytes) {
          throw new ProtocolError(`awareness state over ${this.limits.maxStateBytes} bytes`);
        }
        assertJson(entry.state);
        if (current?.owner !== owner) {
          const usage = this.usageOf(owner);
          if (usage.owned >= this.limits.maxClientsPerConnection || usage.introduced >= this.limits.maxClientsIntroducedPerConnection) {
            throw new ProtocolError('too many presence client ids on one connection');
          }
          if (!this.hasRoomFor(entry.state.length, current)) continue;
          usage.owned++;
          usage.introduced++;
        } else if (!this.hasRoomFor(entry.state.length - (current.state?.length ?? 0), current)) {
          continue;
        }
      }
      this.set(entry, entry.state === null ? null : owner, now);
      changed.push(entry);
    }
    return changed;
  }

  /**
   * Whether `entry` only renews a live state (same bytes, so a newer clock is all it brings):
   * clients send these every 15 s so others do not time them out (rule P9). Asked before `apply`.
   */
  isRenewal(entry: AwarenessEntry): boolean {
    const held = this.records.get(entry.clientId)?.state;
    if (!held || !entry.state || held.length !== entry.state.length) return false;
    for (let i = 0; i < held.length; i++) if (held[i] !== entry.state[i]) return false;
    return true;
  }

  /** Applies entries relayed from another server instance, which has already filtered its own clients. */
  applyRemote(instance: string, entries: readonly AwarenessEntry[], now: number): AwarenessEntry[] {
    const owner = this.remoteOwner(instance);
    const changed: AwarenessEntry[] = [];
    for (const entry of entries) {
      const current = this.records.get(entry.clientId);
      if (!this.isNews(current, entry, owner)) continue;
      if (entry.state !== null) {
        if (entry.state.length > this.limits.maxStateBytes) continue;
        const growth = entry.state.length - (current?.owner === owner ? (current.state?.length ?? 0) : 0);
        if (!this.hasRoomFor(growth, current?.owner === owner ? current : undefined)) continue;
      }
      this.set(entry, entry.state === null ? null : owner, now);
      changed.push(entry);
    }
    return changed;
  }

  /**
   * Removes every client `owner` set and returns the removals. The removal keeps the entry's
   * clock (which y-protocols accepts as a removal of a present state), so a client that
   * reconnects with the same id is seen again after its next change.
   */
  release(owner: PresenceOwner, now: number): AwarenessEntry[] {
    const removed: AwarenessEntry[] = [];
    for (const [clientId, record] of this.records) {
      if (record.owner !== owner) continue;
      const removal = { clientId, clock: record.clock, state: null };
      this.set(removal, null, now);
      removed.push(removal);
    }
    this.usage.delete(owner);
    return removed;
  }

  /** Removes entries of other instances not renewed within REMOTE_TTL_MS (their instance went away). */
  expireRemote(now: number): AwarenessEntry[] {
    if (this.remoteEntries === 0) return [];
    const removed: AwarenessEntry[] = [];
    for (const [clientId, record] of this.records) {
      if (record.owner === null || !isRemote(record.owner) || now - record.changedAt < REMOTE_TTL_MS) continue;
      const removal = { clientId, clock: record.clock, state: null };
      this.set(removal, null, now);
      removed.push(removal);
    }
    return removed;
  }

  /** Forgets removed clients after a while so a long-lived room's presence stays bounded. */
  prune(now: number): void {
    for (const [clientId, record] of this.records) {
      if (record.state === null && now - record.changedAt > REMOVED_TTL_MS) this.records.delete(clientId);
    }
  }

  /**
   * The name (`user.name`, as the app and most Yjs editors set it) in a live state `owner` set,
   * or null. Parses JSON, so callers ask once per person per version, not per update.
   */
  nameOf(owner: PresenceOwner): string | null {
    for (const record of this.records.values()) {
      if (record.owner !== owner || record.state === null) continue;
      const name = userNameIn(record.state);
      if (name !== null) return name;
    }
    return null;
  }

  /** Every client with a state, for a connection that just joined or asked. */
  present(): AwarenessEntry[] {
    const entries: AwarenessEntry[] = [];
    for (const record of this.records.values()) if (record.state !== null) entries.push(record);
    return entries;
  }

  /** Every client with a state that a connection here set (what another instance asks for). */
  presentLocal(): AwarenessEntry[] {
    const entries: AwarenessEntry[] = [];
    for (const record of this.records.values()) if (record.state !== null && record.owner !== null && !isRemote(record.owner)) entries.push(record);
    return entries;
  }

  /** Whether any entry came from another instance (and may need expiring). */
  get hasRemote(): boolean {
    return this.remoteEntries > 0;
  }

  /** Entries remembered, live and removed. */
  get size(): number {
    return this.records.size;
  }

  private isNews(current: PresenceRecord | undefined, entry: AwarenessEntry, owner: PresenceOwner): boolean {
    if (!current) return entry.state !== null;
    if (current.owner !== null && current.owner !== owner) return false;
    if (entry.clock < current.clock) return false;
    // Same clock: only a removal of a present state is news (y-protocols' own rule).
    if (entry.clock === current.clock && !(entry.state === null && current.state !== null)) return false;
    // A client id is only claimed by a live state, never by echoing its removal.
    if (current.owner === null && entry.state === null) return false;
    return true;
  }

  private hasRoomFor(growthBytes: number, current: PresenceRecord | undefined): boolean {
    const newClient = current?.state == null ? 1 : 0;
    return this.liveClients + newClient <= this.limits.maxClientsPerDocument && this.liveBytes + growthBytes <= this.limits.maxDocumentStateBytes;
  }

  private set(entry: AwarenessEntry, owner: PresenceOwner | null, now: number): void {
    const previous = this.records.get(entry.clientId);
    if (previous?.state) {
      this.liveClients--;
      this.liveBytes -= previous.state.length;
    }
    if (previous?.owner && isRemote(previous.owner)) this.remoteEntries--;
    if (previous?.owner && previous.owner !== owner && !isRemote(previous.owner)) {
      const usage = this.usage.get(previous.owner);
      if (usage) usage.owned--;
    }
    if (entry.state) {
      this.liveClients++;
      this.liveBytes += entry.state.length;
    }
    if (owner && isRemote(owner)) this.remoteEntries++;
    this.records.set(entry.clientId, { clientId: entry.clientId, clock: entry.clock, state: entry.state, owner, changedAt: now });
  }

  private usageOf(owner: object): OwnerUsage {
    let usage = this.usage.get(owner);
    if (!usage) this.usage.set(owner, (usage = { owned: 0, introduced: 0 }));
    return usage;
  }

  /** Created on the first entry from another instance: a server running alone never needs it. */
  private remoteOwners: Map<string, RemoteInstance> | null = null;

  private remoteOwner(instance: string): RemoteInstance {
    this.remoteOwners ??= new Map();
    let owner = this.remoteOwners.get(instance);
    if (!owner) this.remoteOwners.set(instance, (owner = new RemoteInstance(instance)));
    return owner;
  }
}

function isRemote(owner: PresenceOwner): owner is RemoteInstance {
  return owner instanceof RemoteInstance;
}
