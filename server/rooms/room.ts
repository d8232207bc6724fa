import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { canEdit } from '../../lib/roles';
import { CloseCode } from '../../lib/protocol';
import type { Bus } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { decodeAwarenessEntries, encodeAwarenessEntries, type AwarenessEntry } from '../protocol/awareness-entries';
import {
  ProtocolError,
  encodeAwareness,
  encodeSaved,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type ClientFrame,
} from '../protocol/frames';
import type { StoredDoc } from '../storage/storage';
import type { Committer, PendingUpdate } from './committer';
import type { Peer } from './peer';
import { Presence } from './presence';

export interface RoomDeps {
  readonly committer: Committer;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called whenever the room may have become unloadable (no peers, nothing in flight). */
  readonly onMaybeIdle: (room: Room) => void;
  /** Called after commits grow the log, so compaction can decide whether to run. */
  readonly onLogGrew: (room: Room) => void;
  /** Runs a task once just before queued frames are next written (see OutboxFlusher). */
  readonly beforeNextFlush: (task: () => void) => void;
  /** Called once the Y.Doc has been built from storage, with the log position it reflects. */
  readonly onMaterialized: (room: Room, doc: Y.Doc, throughSeq: number) => void;
}

/** A log tail up to this long is sent as it is stored to a client that has nothing yet. */
const MAX_TAIL_SENT_AS_STORED = 64;
/** `Y.encodeStateVector` of an empty document. */
const EMPTY_STATE_VECTOR = new Uint8Array([0]);
/** `Y.encodeStateAsUpdate` of an empty document. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === EMPTY_STATE_VECTOR.length && stateVector[0] === 0;
}

/** Applies a stored document to a fresh Y.Doc, skipping (and reporting) entries that fail. */
export function buildDoc(stored: StoredDoc, onBadEntry: (index: number, error: unknown) => void): Y.Doc {
  const doc = new Y.Doc();
  // One transaction for the whole load: Yjs then cleans up and merges structs once, not per update.
  doc.transact(() => {
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
    stored.updates.forEach((update, index) => {
      try {
        Y.applyUpdate(doc, update);
      } catch (error) {
        onBadEntry(index, error);
      }
    });
  });
  return doc;
}

/**
 * One loaded document: its Y.Doc (which only ever holds committed updates), its presence and
 * its connections. Updates go through the committer before the document or any peer sees them.
 *
 * The Y.Doc is built lazily: a client that has nothing yet is sent the stored bytes as they
 * are, before the server spends time building its own copy, so opening a large document costs
 * one decode (the client's) rather than two in a row.
 */
export class Room {
  private built: Y.Doc | null = null;
  /** What storage returned, until the Y.Doc is built from it. */
  private stored: StoredDoc | null;
  /** Peers that joined before the Y.Doc was built and still need the server's sync step 1. */
  private awaitingStep1 = new Set<Peer>();
  private materializeScheduled = false;
  private readonly peers = new Set<Peer>();
  private readonly presence = new Presence();
  /** Presence changes waiting for this turn's broadcast; `local` ones also go on the bus. */
  private changedPresence = new Map<number, AwarenessEntry>();
  private changedLocalPresence = new Map<number, AwarenessEntry>();
  private readonly flushPresenceTask = () => this.flushPresence();
  /** Updates handed to the committer and not yet committed. */
  private uncommitted = 0;
  /** Bytes of log written since the last snapshot, and the snapshot's size: compaction's inputs. */
  logBytes: number;
  snapshotBytes: number;
  compacting = false;
  unsubscribeBus: (() => void) | null = null;

  constructor(
    readonly docId: DocId,
    stored: StoredDoc,
    private readonly deps: RoomDeps,
  ) {
    this.stored = stored;
    this.snapshotBytes = stored.snapshot?.length ?? 0;
    this.logBytes = stored.updates.reduce((sum, u) => sum + u.length, 0);
  }

  /** The document, built from storage on first use. */
  get doc(): Y.Doc {
    return this.built ?? this.materialize();
  }

  private materialize(): Y.Doc {
    const stored = this.stored ?? { snapshot: null, updates: [], throughSeq: 0 };
    this.stored = null;
    const doc = buildDoc(stored, (index, error) =>
      this.deps.logger.error({ docId: this.docId, index, err: error }, 'skipped a stored update that does not apply'),
    );
    this.built = doc;
    this.deps.onMaterialized(this, doc, stored.throughSeq);
    if (this.awaitingStep1.size > 0) {
      const stateVector = Y.encodeStateVector(doc);
      const step1 = encodeSyncStep1(stateVector);
      const saved = encodeSaved(stateVector);
      for (const peer of this.awaitingStep1) {
        if (!this.peers.has(peer)) continue;
        peer.send(step1);
        if (peer.wantsSavedAcks) peer.send(saved);
      }
      this.awaitingStep1.clear();
    }
    return doc;
  }

  /** Builds the doc after this turn's frames are written, so a waiting client is served first. */
  private scheduleMaterialize(): void {
    if (this.materializeScheduled) return;
    this.materializeScheduled = true;
    this.deps.beforeNextFlush(() =>
      setImmediate(() => {
        if (!this.built && !this.destroyed) this.materialize();
      }),
    );
  }

  private destroyed = false;

  /** Frees the document; the registry calls this when it unloads the room. */
  destroy(): void {
    this.destroyed = true;
    this.built?.destroy();
    this.built = null;
    this.stored = null;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** No peers and nothing in flight: safe to drop from memory. */
  get idle(): boolean {
    return this.peers.size === 0 && this.uncommitted === 0 && !this.compacting;
  }

  join(peer: Peer): void {
    this.peers.add(peer);
    if (this.built) {
      peer.send(encodeSyncStep1(Y.encodeStateVector(this.built)));
    } else {
      this.awaitingStep1.add(peer);
      this.scheduleMaterialize();
    }
    const present = this.presence.present();
    if (present.length > 0) peer.send(encodeAwareness(encodeAwarenessEntries(present, present.length)));
  }

  leave(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    this.awaitingStep1.delete(peer);
    for (const removal of this.presence.release(peer)) this.notePresenceChange(removal, true);
    this.presence.prune();
    this.deps.onMaybeIdle(this);
  }

  /** Handles one decoded frame. Throws ProtocolError for input the peer must be closed for. */
  receive(peer: Peer, frame: ClientFrame, receivedAt: number): void {
    switch (frame.kind) {
      case 'sync-step1': {
        const stored = this.stored;
        if (!this.built && stored && isEmptyStateVector(frame.stateVector) && stored.updates.length <= MAX_TAIL_SENT_AS_STORED) {
          // Exactly what is stored, as stored: no need to build or encode anything first.
          peer.send(encodeSyncStep2(stored.snapshot ?? EMPTY_UPDATE));
          for (const update of stored.updates) peer.send(encodeUpdate(update));
          return;
        }
        // The doc holds only committed updates, so this answer never shows a peer anything
        // that a crash could still lose.
        peer.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, frame.stateVector)));
        if (peer.wantsSavedAcks) peer.send(encodeSaved(Y.encodeStateVector(this.doc)));
        return;
      }
      case 'update':
        this.receiveUpdate(peer, frame.update, receivedAt);
        return;
      case 'awareness': {
        const entries = decodeAwarenessEntries(frame.update);
        const changed = this.presence.apply(peer, entries);
        this.deps.metrics.awarenessDropped.inc(entries.length - changed.length);
        for (const entry of changed) this.notePresenceChange(entry, true);
        return;
      }
      case 'query-awareness': {
        const present = this.presence.present();
        peer.send(encodeAwareness(encodeAwarenessEntries(present, present.length)));
        return;
      }
      case 'auth':
        return;
      default: {
        const unreachable: never = frame;
        throw new ProtocolError(`unhandled frame ${String(unreachable)}`);
      }
    }
  }

  private receiveUpdate(peer: Peer, update: Uint8Array, receivedAt: number): void {
    if (!canEdit(peer.role)) {
      // View-only: dropped, never applied, relayed or stored. Not an error: stock clients send
      // their local state after sync even when they have nothing new.
      this.deps.metrics.updatesDropped.inc({ reason: 'view-only' });
      return;
    }
    try {
      // Parse before storing, so nothing undecodable reaches the log.
      Y.decodeUpdate(update);
    } catch {
      this.deps.metrics.updatesDropped.inc({ reason: 'invalid' });
      throw new ProtocolError('malformed Yjs update');
    }
    const pending: PendingUpdate = { docId: this.docId, origin: peer, update, receivedAt };
    if (!this.deps.committer.enqueue(pending)) {
      peer.close(CloseCode.InternalError, 'storage unavailable; retry later');
      return;
    }
    this.uncommitted++;
  }

  /** Applies and relays updates the committer has made durable, in commit order. */
  committed(updates: readonly PendingUpdate[]): void {
    const { metrics, bus } = this.deps;
    const acked = new Set<Peer>();
    for (const pending of updates) {
      this.uncommitted--;
      this.logBytes += pending.update.length;
      try {
        Y.applyUpdate(this.doc, pending.update, pending.origin);
      } catch (error) {
        // Decoded fine but failed to integrate: stored, skipped on load, never relayed.
        this.deps.logger.warn({ docId: this.docId, err: error }, 'committed update failed to apply');
        pending.origin.close(CloseCode.BadRequest, 'malformed Yjs update');
        continue;
      }
      const frame = encodeUpdate(pending.update);
      for (const peer of this.peers) if (peer !== pending.origin) peer.send(frame);
      bus.publish({ kind: 'update', docId: this.docId, update: pending.update });
      metrics.updates.inc();
      metrics.updateBytes.inc(pending.update.length);
      if (pending.origin.wantsSavedAcks && this.peers.has(pending.origin)) acked.add(pending.origin);
    }
    if (acked.size > 0) {
      const saved = encodeSaved(Y.encodeStateVector(this.doc));
      for (const peer of acked) peer.send(saved);
    }
    this.deps.onLogGrew(this);
    this.deps.onMaybeIdle(this);
  }

  /** An update another instance committed: apply and relay to every local peer. */
  receiveRemoteUpdate(update: Uint8Array): void {
    try {
      Y.applyUpdate(this.doc, update, 'bus');
    } catch (error) {
      this.deps.logger.warn({ docId: this.docId, err: error }, 'update from the bus failed to apply');
      return;
    }
    const frame = encodeUpdate(update);
    for (const peer of this.peers) peer.send(frame);
  }

  receiveRemoteAwareness(update: Uint8Array): void {
    let entries: AwarenessEntry[];
    try {
      entries = decodeAwarenessEntries(update);
    } catch {
      return;
    }
    for (const entry of this.presence.applyRemote(entries)) this.notePresenceChange(entry, false);
  }

  /** Merges a freshly loaded copy of the stored document (after the bus may have lost messages). */
  catchUp(stored: StoredDoc): void {
    const before = Y.encodeStateVector(this.doc);
    const fresh = buildDoc(stored, () => {});
    const missing = Y.encodeStateAsUpdate(fresh, before);
    fresh.destroy();
    this.receiveRemoteUpdate(missing);
  }

  /** Closes every connection opened with this link (it was revoked). */
  closeLink(linkId: string, code: number, reason: string): number {
    let closed = 0;
    for (const peer of this.peers) {
      if (peer.linkId === linkId) {
        peer.close(code, reason);
        closed++;
      }
    }
    return closed;
  }

  closeAll(code: number, reason: string): void {
    for (const peer of [...this.peers]) peer.close(code, reason);
  }

  private notePresenceChange(entry: AwarenessEntry, local: boolean): void {
    this.changedPresence.set(entry.clientId, entry);
    if (local) this.changedLocalPresence.set(entry.clientId, entry);
    this.deps.beforeNextFlush(this.flushPresenceTask);
  }

  /** One awareness frame per turn for all changes, encoded once and sent to every peer. */
  private flushPresence(): void {
    const changed = this.changedPresence;
    const local = this.changedLocalPresence;
    this.changedPresence = new Map();
    this.changedLocalPresence = new Map();
    if (changed.size > 0 && this.peers.size > 0) {
      // The sender gets its own entry back too: stock clients rely on traffic to stay connected.
      const frame = encodeAwareness(encodeAwarenessEntries(changed.values(), changed.size));
      for (const peer of this.peers) peer.send(frame);
    }
    if (local.size > 0) {
      this.deps.bus.publish({ kind: 'awareness', docId: this.docId, update: encodeAwarenessEntries(local.values(), local.size) });
    }
  }
}
