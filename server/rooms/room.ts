import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { canComment, canEdit } from '../../lib/roles';
import { CloseCode } from '../../lib/protocol';
import type { Bus, BusMessage } from '../bus/bus';
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
import type { Cancel, Scheduler } from '../scheduler';
import type { StoredDoc } from '../storage/doc-log';
import { SNAPSHOT_INDEX, buildDoc } from './build-doc';
import { limitToComments } from './comment-scope';
import { hasMissingDependencies } from './dependencies';
import type { Committer, PendingUpdate } from './committer';
import type { Peer } from './peer';
import { Presence, REMOTE_TTL_MS, type PresenceLimits } from './presence';
import {
  CLIENT_AT,
  CLOCK_AT,
  LENGTH_AT,
  ORIGIN_AT,
  RIGHT_ORIGIN_AT,
  appendInsertions,
  isOneInsertion,
  outlineUpdate,
  type UpdateOutline,
} from './update-outline';

export interface RoomDeps {
  readonly committer: Committer;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly scheduler: Scheduler;
  readonly presenceLimits: PresenceLimits;
  /** Most bytes of client frames a room holds while it rebuilds its document; past it the sender is closed. */
  readonly maxHeldBytes: number;
  /** Runs a task once just before queued frames are next written (see OutboxFlusher). */
  readonly beforeNextFlush: (task: () => void) => void;
  /** The state vector of a stored snapshot, read from its bytes (rejects if they do not decode). */
  readonly readStateVector: (snapshot: Uint8Array) => Promise<Uint8Array>;
  /** Reads the document from storage again (to rebuild it after an update failed to integrate). */
  readonly reload: (docId: DocId) => Promise<StoredDoc>;
  /** Called once the Y.Doc has been built from storage alone, with the log position it reflects. */
  readonly onBuilt: (docId: DocId, doc: Y.Doc, throughSeq: number) => void;
  /** Called when a rebuild has finished, after which the room may be idle. */
  readonly onSettled: (docId: DocId) => void;
}

/** A log tail up to this long is sent as it is stored to a client that has nothing yet. */
const MAX_TAIL_SENT_AS_STORED = 64;
/** `Y.encodeStateVector` of an empty document. */
const EMPTY_STATE_VECTOR = new Uint8Array([0]);
/** `Y.encodeStateAsUpdate` of an empty document. */
const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** Most bytes of updates one peer may have waiting for content the server does not have yet. */
export const MAX_WAITING_BYTES_PER_PEER = 4 * 1024 * 1024;
const FIRST_RELOAD_RETRY_MS = 100;
const MAX_RELOAD_RETRY_MS = 5_000;
/** Most client updates that wait for the end of a socket read (see integrateArrivals). */
const MAX_ARRIVALS_AT_ONCE = 64;
/** A room rebuilds itself after an unexpected error at most this often (rule D13). */
const MIN_MS_BETWEEN_RECOVERIES = 10_000;
/**
 * Longest a presence renewal waits to ride along with a change (rule P9). Clients renew every
 * 15 s and drop a state not renewed for 30 s, so a wait this short is never seen.
 */
export const RENEWAL_WAIT_MS = 2_000;

function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === EMPTY_STATE_VECTOR.length && stateVector[0] === 0;
}

function differenceOf(snapshot: Uint8Array, stateVector: Uint8Array): Uint8Array | null {
  try {
    return Y.diffUpdate(snapshot, stateVector);
  } catch {
    return null;
  }
}

function hasPendingStructs(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/**
 * `Y.applyUpdate` inside a transaction of our own, so the transaction tells whether anything
 * changed (Yjs's own test before it emits 'update'). Listening to 'update' instead would make
 * Yjs encode every transaction into a new update: a third of the integrate cost for nothing.
 */
function applyAndTellIfChanged(doc: Y.Doc, update: Uint8Array, origin: unknown): boolean {
  let transaction: Y.Transaction | null = null;
  // Nested, applyUpdate joins this transaction; local false, as applyUpdate's own would be.
  Y.transact(
    doc,
    (tr) => {
      transaction = tr;
      Y.applyUpdate(doc, update, origin);
    },
    origin,
    false,
  );
  const tr = transaction as Y.Transaction | null;
  if (!tr) return false;
  if (tr.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) return true;
  return false;
}

/**
 * Names from presence, looked up once per peer until its presence changes (version authors).
 * One map for every room, not one each: a peer is in one room, which forgets it when it leaves.
 */
const authorNames = new WeakMap<Peer, string | null>();

/** A client update that passed the checks on arrival, not integrated yet. */
interface Arrival {
  readonly peer: Peer;
  readonly update: Uint8Array;
  readonly outline: UpdateOutline;
  readonly receivedAt: number;
}

/** Work that waits while the document is rebuilt. */
type Held =
  | { readonly kind: 'frame'; readonly peer: Peer; readonly frame: ClientFrame; readonly receivedAt: number; readonly bytes: number }
  | { readonly kind: 'bus'; readonly message: BusMessage; readonly from: string }
  | { readonly kind: 'catch-up'; readonly stored: StoredDoc };

/**
 * One loaded document: its Y.Doc, its presence, its connections and its fan-out.
 *
 * An update is integrated into the Y.Doc when it arrives, before it is committed, so one that
 * does not integrate is refused and never stored or relayed (docs/PROTOCOL.md, rule D5). It is
 * relayed only once committed (D1), and anything computed from the document for a peer (a sync
 * answer, a "saved" state vector) is held until every update it covers is committed (D2). If an
 * update throws half-way, the Y.Doc may be half-applied: the room then rebuilds it from storage
 * plus the updates still in flight, holding frames meanwhile, and nobody has to reconnect.
 *
 * The Y.Doc is built lazily: a client that has nothing yet is sent the stored bytes as they
 * are, before the server spends time building its own copy; and a stored document without a
 * log tail is not built at all until something needs it (an edit, a client that has part of
 * it), since its state vector can be read from the snapshot's bytes. So people who only open a
 * big document, however many, never cost the event loop the time to build it.
 */
export class Room {
  private doc: Y.Doc | null = null;
  /** What storage returned (plus updates from the bus since), until the Y.Doc is built from it. */
  private stored: { snapshot: Uint8Array | null; updates: Uint8Array[]; throughSeq: number } | null;
  /** The state vector of `stored` while it has no log tail (from the fold, or read from the snapshot). */
  private storedStateVector: Uint8Array | null;
  private readonly peers = new Set<Peer>();
  // The maps and sets below that are usually empty are created when first needed and dropped
  // when emptied: an empty Map costs about 180 bytes, and a server holds thousands of rooms.
  /** Peers that joined before the Y.Doc was (re)built and still need the server's sync step 1. */
  private awaitingStep1: Set<Peer> | null = null;
  private buildScheduled = false;
  private readonly presence: Presence;
  /** Presence changes waiting for this turn's broadcast; `local` ones also go on the bus. */
  private changedPresence: Map<number, AwarenessEntry> | null = null;
  private changedLocalPresence: Map<number, AwarenessEntry> | null = null;
  /** Renewals waiting for the next presence change or RENEWAL_WAIT_MS (rule P9); `local` as above. */
  private renewals: Map<number, { entry: AwarenessEntry; local: boolean }> | null = null;
  private cancelRenewalWait: Cancel | null = null;
  /** Bound, not an arrow field: tsx keeps function names, which costs an arrow ~250 bytes more. */
  private readonly flushPresenceTask: () => void;
  private cancelPresenceSweep: Cancel | null = null;
  /** Updates integrated and handed to the committer, not yet committed, in order. */
  private readonly inflight: PendingUpdate[] = [];
  private rebuilding = false;
  private held: Held[] = [];
  private heldBytes = 0;
  /** Client updates that refer to content not here yet, per peer, in arrival order (rule D9). */
  private waiting: Map<Peer, { updates: Array<{ update: Uint8Array; receivedAt: number }>; bytes: number }> | null = null;
  /** Client updates accepted on arrival, waiting for the end of the socket read (see integrateArrivals). */
  private arrivals: Arrival[] | null = null;
  /** Bound once, like flushPresenceTask. */
  private readonly integrateArrivalsTask: () => void;
  private readyWaiters: Array<() => void> = [];
  private destroyed = false;
  /** When `recover` last started a rebuild (scheduler time), or null. */
  private lastRecoveryAt: number | null = null;

  constructor(
    readonly docId: DocId,
    stored: StoredDoc,
    stateVector: Uint8Array | null,
    private readonly deps: RoomDeps,
  ) {
    this.stored = { snapshot: stored.snapshot, updates: [...stored.updates], throughSeq: stored.throughSeq };
    this.storedStateVector = stored.updates.length === 0 ? stateVector : null;
    this.presence = new Presence(deps.presenceLimits);
    this.flushPresenceTask = this.flushPresence.bind(this);
    this.integrateArrivalsTask = this.integrateArrivals.bind(this);
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** No peers, nothing in flight, not rebuilding: safe to drop from memory. */
  isIdle(): boolean {
    return this.peers.size === 0 && this.inflight.length === 0 && !this.rebuilding && this.arrivals === null;
  }

  join(peer: Peer): void {
    this.integrateArrivals();
    this.peers.add(peer);
    if (this.rebuilding) {
      // The rebuild sends it the rebuilt document's state vector (what is held may be at fault).
      (this.awaitingStep1 ??= new Set()).add(peer);
    } else if (this.doc) {
      peer.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    } else if (this.storedStateVector) {
      peer.send(encodeSyncStep1(this.storedStateVector));
    } else {
      (this.awaitingStep1 ??= new Set()).add(peer);
      this.scheduleBuild();
    }
    const present = this.presence.present();
    if (present.length > 0) peer.send(encodeAwareness(encodeAwarenessEntries(present, present.length)));
  }

  leave(peer: Peer): void {
    // Its updates that arrived before it left are integrated, as they would have been at once.
    this.integrateArrivals();
    if (!this.peers.delete(peer)) return;
    authorNames.delete(peer);
    this.awaitingStep1?.delete(peer);
    this.waiting?.delete(peer);
    const now = this.deps.scheduler.now();
    for (const removal of this.presence.release(peer, now)) this.notePresenceChange(removal, true);
    this.presence.prune(now);
  }

  /** Handles one decoded frame. Throws ProtocolError for input the peer must be closed for. */
  receive(peer: Peer, frame: ClientFrame, receivedAt: number): void {
    if (!this.peers.has(peer)) return;
    // Updates that arrived before this frame go first (see integrateArrivals); a sender they
    // closed would not have had this frame delivered.
    if ((frame.kind !== 'update' || this.rebuilding) && this.integrateArrivals()?.has(peer)) return;
    if (this.rebuilding) {
      this.holdFrame(peer, frame, receivedAt);
      return;
    }
    switch (frame.kind) {
      case 'sync-step1':
        return this.answerSyncStep1(peer, frame.stateVector);
      case 'update':
        return this.receiveUpdate(peer, frame.update, receivedAt);
      case 'awareness': {
        const entries = decodeAwarenessEntries(frame.update);
        const renewals = this.renewalsAmong(entries);
        const changed = this.presence.apply(peer, entries, this.deps.scheduler.now());
        if (changed.length > 0) authorNames.delete(peer);
        this.deps.metrics.awarenessDropped.inc(entries.length - changed.length);
        for (const entry of changed) this.notePresenceChange(entry, true, renewals?.has(entry) ?? false);
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

  /** Applies and relays updates the committer has made durable, in commit order. */
  committed(updates: readonly PendingUpdate[]): void {
    const { metrics, bus } = this.deps;
    const acks = new Map<Peer, Uint8Array | null>();
    let bytes = 0;
    // Removed with one splice after the loop, not a shift each: a busy room has thousands in flight.
    let done = 0;
    for (const pending of updates) {
      if (this.inflight[done] === pending) done++;
      else this.deps.logger.error({ docId: this.docId }, 'committed an update the room did not have in flight');
      // Encoded only if someone else is here: a lone writer's updates go to nobody.
      let frame: Uint8Array | null = null;
      for (const peer of this.peers) if (peer !== pending.origin) peer.send((frame ??= encodeUpdate(pending.update)));
      bus.publish({ kind: 'update', docId: this.docId, update: pending.update });
      bytes += pending.update.length;
      if (pending.origin.wantsSavedAcks && this.peers.has(pending.origin)) acks.set(pending.origin, pending.savedStateVector);
    }
    this.inflight.splice(0, done);
    metrics.updates.inc(updates.length);
    metrics.updateBytes.inc(bytes);
    // A null vector is an update the document did not move past yet (see settleSavedStateVector):
    // with nothing left in flight the document's state is what is committed; otherwise a later
    // update of the same origin is in flight and its acknowledgement will cover this one.
    let committedNow: Uint8Array | null = null;
    for (const [peer, stateVector] of acks) {
      if (stateVector) peer.send(encodeSaved(stateVector));
      else if (this.inflight.length === 0 && this.doc) peer.send(encodeSaved((committedNow ??= Y.encodeStateVector(this.doc))));
    }
  }

  /** A message from another instance about this document. */
  receiveBus(message: BusMessage, from: string): void {
    this.integrateArrivals();
    if (this.rebuilding) {
      this.held.push({ kind: 'bus', message, from });
      return;
    }
    switch (message.kind) {
      case 'update':
        return this.receiveRemoteUpdate(message.update);
      case 'awareness':
        return this.receiveRemoteAwareness(message.update, from);
      case 'revoke':
        this.closeLink(message.linkId, CloseCode.Forbidden, 'permission denied: this link was revoked');
        return;
      case 'delete':
        this.closeAll(CloseCode.Gone, 'this document was deleted');
        return;
      case 'presence-query':
        return this.announcePresence();
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  /**
   * Merges a fresh copy of the stored document after the bus may have lost messages. Only what
   * storage holds is relayed, computed from a separate Y.Doc, so updates still in flight here
   * never reach a peer early.
   */
  catchUp(stored: StoredDoc): void {
    this.integrateArrivals();
    if (this.rebuilding) {
      this.held.push({ kind: 'catch-up', stored });
      return;
    }
    const doc = this.ensureDoc();
    const fresh = buildDoc(stored, () => {});
    const missing = Y.encodeStateAsUpdate(fresh, Y.encodeStateVector(doc));
    fresh.destroy();
    this.receiveRemoteUpdate(missing);
  }

  /**
   * Applies a change the server makes itself (the content API, a restore) exactly like a client
   * update from `origin`: integrated, committed, then relayed. Resolves once it is committed;
   * false if the change changed nothing.
   */
  async applyServerChange(origin: Peer, change: (doc: Y.Doc) => void): Promise<boolean> {
    await this.whenReadyAndCaughtUp();
    const doc = this.ensureDoc();
    const captured: { update: Uint8Array | null } = { update: null };
    const capture = (u: Uint8Array, o: unknown) => {
      if (o === origin) captured.update = u;
    };
    this.settleSavedStateVector(origin);
    doc.on('update', capture);
    try {
      doc.transact(() => change(doc), origin);
    } catch (error) {
      this.startRebuild('a server-side change threw');
      throw error;
    } finally {
      doc.off('update', capture);
    }
    const update = captured.update;
    if (update === null) return false;
    if (hasPendingStructs(doc)) this.deps.logger.warn({ docId: this.docId }, 'a server-side change left pending structs');
    const pending: PendingUpdate = { docId: this.docId, origin, update, receivedAt: performance.now(), savedStateVector: null };
    if (!this.deps.committer.enqueue(pending)) {
      this.startRebuild('a server-side change could not be queued');
      throw new Error('storage unavailable; retry later');
    }
    this.inflight.push(pending);
    await new Promise<void>((resolve) => this.afterCommitted(resolve));
    return true;
  }

  /** The document's committed state as one Yjs update, once everything it includes is committed. */
  async readCommitted(): Promise<Uint8Array> {
    await this.whenReadyAndCaughtUp();
    const state = Y.encodeStateAsUpdate(this.ensureDoc());
    await new Promise<void>((resolve) => this.afterCommitted(resolve));
    return state;
  }

  /**
   * The committed state of an idle room, now: with nothing in flight, what the room holds is
   * what storage holds, so a version taken as it unloads needs no second read of the log.
   */
  idleState(): Uint8Array {
    if (!this.isIdle() || this.destroyed) throw new Error('idleState of a room that is not idle');
    return Y.encodeStateAsUpdate(this.ensureDoc());
  }

  /** The name a connected peer shows in its presence (`user.name`), or null (rule V3). */
  authorName(peer: Peer): string | null {
    if (!this.peers.has(peer)) return null;
    let name = authorNames.get(peer);
    if (name === undefined) {
      name = this.presence.nameOf(peer);
      authorNames.set(peer, name);
    }
    return name;
  }

  /** Closes every connection opened with this link (it was revoked). */
  closeLink(linkId: string, code: number, reason: string): number {
    let closed = 0;
    for (const peer of [...this.peers]) {
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

  /**
   * Handling a frame of `peer` threw. Bad input (a ProtocolError) closes that connection with
   * 4400 and nothing more (W4); anything else closes it with 1011 and the room recovers.
   */
  frameFailed(peer: Peer, error: unknown): void {
    if (error instanceof ProtocolError) {
      this.deps.logger.info({ docId: this.docId, reason: error.message }, 'closing a connection that sent a bad frame');
      return peer.close(CloseCode.BadRequest, error.message);
    }
    this.deps.logger.error({ docId: this.docId, err: error }, 'failed to handle a frame');
    peer.close(CloseCode.InternalError, 'internal error');
    this.recover('failed to handle a frame');
  }

  /**
   * An error nobody expected escaped while handling a frame or a bus message (rule D13). The
   * fault may be in what this room holds rather than in the frame (a detached snapshot once made
   * every later reader fail the same way, for as long as the room stayed loaded), so the room
   * rebuilds its document from storage, as after an update that threw (D5). Storage holds
   * everything committed and the updates in flight are applied again, so nothing is lost. At
   * most once every MIN_MS_BETWEEN_RECOVERIES, so a frame that fails on its own cannot make the
   * server reload a document over and over.
   */
  recover(reason: string): void {
    const now = this.deps.scheduler.now();
    if (this.destroyed || this.rebuilding) return;
    if (this.lastRecoveryAt !== null && now - this.lastRecoveryAt < MIN_MS_BETWEEN_RECOVERIES) return;
    this.lastRecoveryAt = now;
    this.startRebuild(reason);
  }

  /** Frees the document; the registry calls this when it unloads the room. */
  destroy(): void {
    this.destroyed = true;
    this.arrivals = null;
    this.cancelPresenceSweep?.();
    this.cancelRenewalWait?.();
    this.cancelRenewalWait = null;
    this.doc?.destroy();
    this.doc = null;
    this.stored = null;
    this.storedStateVector = null;
    this.held = [];
  }

  // --- the document ----------------------------------------------------------------------------

  /** The document, built from storage on first use. */
  private ensureDoc(): Y.Doc {
    if (this.doc) return this.doc;
    const stored = this.stored ?? { snapshot: null, updates: [], throughSeq: 0 };
    this.stored = null;
    this.storedStateVector = null;
    const doc = buildDoc(stored, (index, error) => this.reportBadEntry(index, error));
    this.deps.metrics.documentBuilds.inc();
    this.doc = doc;
    this.deps.onBuilt(this.docId, doc, stored.throughSeq);
    this.sendStep1ToWaiting();
    return doc;
  }

  /**
   * After this turn's frames are written, so a waiting client is served first: reads the state
   * vector from the snapshot if nothing else is stored (in the fold process, for a big one: its
   * bytes may still be on their way to the client, and they go only while the event loop is
   * free), or else builds the doc.
   */
  private scheduleBuild(): void {
    if (this.buildScheduled || this.doc || this.rebuilding) return;
    this.buildScheduled = true;
    this.deps.beforeNextFlush(() =>
      this.deps.scheduler.soon(() => {
        const snapshot = this.stored && this.stored.updates.length === 0 ? (this.stored.snapshot ?? EMPTY_UPDATE) : null;
        if (!snapshot || this.doc || this.destroyed || this.rebuilding) return this.builtOrRead(null, null);
        this.deps.readStateVector(snapshot).then(
          (stateVector) => this.builtOrRead(snapshot, stateVector),
          () => this.builtOrRead(null, null),
        );
      }),
    );
  }

  /** The state vector read from `snapshot` (if it is still what is stored), or else the doc built. */
  private builtOrRead(snapshot: Uint8Array | null, stateVector: Uint8Array | null): void {
    this.buildScheduled = false;
    if (this.doc || this.destroyed || this.rebuilding) return;
    const current = this.stored && this.stored.updates.length === 0 ? (this.stored.snapshot ?? EMPTY_UPDATE) : null;
    if (stateVector && snapshot === current) {
      this.storedStateVector = stateVector;
      this.sendStep1ToWaiting();
    } else {
      this.ensureDoc();
    }
  }

  private sendStep1ToWaiting(): void {
    const waiting = this.awaitingStep1;
    if (!waiting || waiting.size === 0) return;
    const stateVector = this.doc ? Y.encodeStateVector(this.doc) : this.storedStateVector;
    if (!stateVector) return;
    const step1 = encodeSyncStep1(stateVector);
    for (const peer of waiting) if (this.peers.has(peer)) peer.send(step1);
    this.awaitingStep1 = null;
  }

  private reportBadEntry(index: number, error: unknown): void {
    this.deps.metrics.badStoredEntries.inc();
    const what = index === SNAPSHOT_INDEX ? 'the stored snapshot does not apply; serving the log alone' : 'skipped a stored update that does not apply';
    this.deps.logger.error({ docId: this.docId, index, err: error }, what);
  }

  private answerSyncStep1(peer: Peer, stateVector: Uint8Array): void {
    const stored = this.stored;
    if (!this.doc && stored && isEmptyStateVector(stateVector) && stored.updates.length <= MAX_TAIL_SENT_AS_STORED) {
      // Exactly what is stored, as stored (all of it committed): nothing to build or encode first.
      peer.send(encodeSyncStep2(stored.snapshot ?? EMPTY_UPDATE));
      for (const update of stored.updates) peer.send(encodeUpdate(update));
      return;
    }
    const difference = !this.doc && stored?.snapshot && stored.updates.length === 0 ? differenceOf(stored.snapshot, stateVector) : null;
    if (difference) {
      // A client that has part of it: the difference, cut from the snapshot's bytes.
      peer.send(encodeSyncStep2(difference));
      if (peer.wantsSavedAcks && this.storedStateVector) peer.send(encodeSaved(this.storedStateVector));
      return;
    }
    const doc = this.ensureDoc();
    const step2 = encodeSyncStep2(Y.encodeStateAsUpdate(doc, stateVector));
    const saved = peer.wantsSavedAcks ? encodeSaved(Y.encodeStateVector(doc)) : null;
    this.afterCommitted(() => {
      if (!this.peers.has(peer)) return;
      peer.send(step2);
      if (saved) peer.send(saved);
    });
  }

  /** Runs `task` once every update integrated so far is committed (rule D2). */
  private afterCommitted(task: () => void): void {
    if (this.inflight.length === 0) task();
    else this.deps.committer.whenCommitted(this.docId, task);
  }

  private receiveUpdate(peer: Peer, update: Uint8Array, receivedAt: number): void {
    const { metrics, committer } = this.deps;
    if (!canEdit(peer.role) && !canComment(peer.role)) {
      // Dropped, never applied, relayed or stored (rule A4). Not an error: stock clients send
      // their local state after sync even when they have nothing new.
      metrics.updatesDropped.inc({ reason: 'read-only' });
      return;
    }
    let outline: UpdateOutline;
    try {
      // Garbage is refused here, cheaply, without touching the document.
      outline = outlineUpdate(update);
    } catch {
      metrics.updatesDropped.inc({ reason: 'invalid' });
      throw new ProtocolError('malformed Yjs update');
    }
    if (!this.doc && this.storedStateVector && outline.structs.length === 0 && outline.deletions.length === 0) {
      // An empty update (a client's answer to our step 1 when it has nothing we lack): nothing to
      // build the document for. Everything stored is committed, so the stored state is saved.
      if (peer.wantsSavedAcks) peer.send(encodeSaved(this.storedStateVector));
      return;
    }
    if (!committer.canAccept(this.docId, update.length)) {
      peer.close(CloseCode.InternalError, 'storage unavailable; retry later');
      return;
    }
    this.ensureDoc();
    const arrival: Arrival = { peer, update, outline, receivedAt };
    if (!this.arrivals) {
      this.arrivals = [arrival];
      queueMicrotask(this.integrateArrivalsTask);
    } else if (this.arrivals.push(arrival) >= MAX_ARRIVALS_AT_ONCE) {
      this.integrateArrivals();
    }
  }

  /**
   * Integrates the client updates that arrived since the last call, in arrival order. They wait
   * for the end of the socket read (`ws` hands over every frame of one read in one synchronous
   * loop), or until MAX_ARRIVALS_AT_ONCE wait, so that a writer's typing among them is integrated
   * at once (see typingRunAt). Each update is still checked, refused, committed and acknowledged
   * on its own, as if integrated when it arrived, and each integration is a Yjs transaction of
   * its own: some updates fail only as their transaction ends, and must fail alone. Anything
   * that reads or changes the document calls this first, so nothing overtakes them. Returns the
   * peers it closed, if any.
   */
  private integrateArrivals(): ReadonlySet<Peer> | null {
    const arrivals = this.arrivals;
    if (!arrivals) return null;
    this.arrivals = null;
    let closed: Set<Peer> | null = null;
    for (let next = 0; next < arrivals.length && !this.destroyed; next++) {
      const { peer, update, outline, receivedAt } = arrivals[next]!;
      // Frames after one that closed their connection were never delivered then.
      if (closed?.has(peer) || !this.peers.has(peer)) continue;
      if (this.rebuilding) {
        // As when they arrive during a rebuild: held, then replayed into the rebuilt document.
        if (!this.holdFrame(peer, { kind: 'update', update }, receivedAt)) (closed ??= new Set()).add(peer);
        continue;
      }
      const doc = this.ensureDoc();
      const typed = this.typingRunAt(doc, arrivals, next);
      try {
        if (typed > 1) this.integrateTypingRun(doc, arrivals.slice(next, next + typed));
        else if (!this.integrateArrival(doc, peer, update, outline, receivedAt)) (closed ??= new Set()).add(peer);
      } catch (error) {
        (closed ??= new Set()).add(peer);
        this.frameFailed(peer, error);
      }
      next += typed - 1;
    }
    if (this.hasWaiting()) this.retryWaiting();
    return closed;
  }

  /**
   * How many arrivals from `start` are one writer typing: each inserting characters right after
   * the one before (see appendInsertions), the first new to the document and with nothing
   * missing, all of them within the backlog's limits. 1 when there is no such run.
   */
  private typingRunAt(doc: Y.Doc, arrivals: readonly Arrival[], start: number): number {
    const first = arrivals[start]!;
    if (!canEdit(first.peer.role) || !isOneInsertion(first.update, first.outline)) return 1;
    const head = first.outline.structs;
    const client = head[CLIENT_AT]!;
    let end = head[CLOCK_AT]! + head[LENGTH_AT]!;
    let bytes = first.update.length;
    let next = start + 1;
    for (; next < arrivals.length; next++) {
      const { peer, update, outline } = arrivals[next]!;
      if (peer !== first.peer || !isOneInsertion(update, outline)) break;
      const struct = outline.structs;
      const continues = struct[CLIENT_AT] === client && struct[CLOCK_AT] === end && struct[ORIGIN_AT] === client && struct[ORIGIN_AT + 1] === end - 1;
      const sameRight = struct[RIGHT_ORIGIN_AT] === head[RIGHT_ORIGIN_AT] && struct[RIGHT_ORIGIN_AT + 1] === head[RIGHT_ORIGIN_AT + 1];
      if (!continues || !sameRight) break;
      end += struct[LENGTH_AT]!;
      bytes += update.length;
    }
    if (next - start < 2) return 1;
    // A repeat, a gap, a reference to something missing or a full backlog: each decided on its own.
    if (head[CLOCK_AT] !== Y.getState(doc.store, client) || hasMissingDependencies(doc, first.outline)) return 1;
    return this.deps.committer.canAccept(this.docId, bytes) ? next - start : 1;
  }

  /**
   * Integrates a run of one writer's typing (see typingRunAt) as one update: Yjs integrates it
   * once instead of once per character, with the same result. Each update is still committed,
   * relayed and acknowledged as it came. Throws ProtocolError, as integrateFromPeer does, if it
   * does not integrate: then it was the first update that did not.
   */
  private integrateTypingRun(doc: Y.Doc, run: readonly Arrival[]): void {
    const { peer } = run[0]!;
    const outlines = run.map((arrival) => arrival.outline);
    const typed = appendInsertions(
      run.map((arrival) => arrival.update),
      outlines,
    );
    this.settleSavedStateVector(peer);
    const outcome = this.integrate(doc, typed, peer, true);
    if (!outcome) {
      this.deps.metrics.updatesDropped.inc({ reason: 'does-not-integrate' });
      throw new ProtocolError('Yjs update does not apply to this document');
    }
    for (const { update, receivedAt } of run) {
      const pending: PendingUpdate = { docId: this.docId, origin: peer, update, receivedAt, savedStateVector: null, changedNothing: !outcome.changed };
      this.deps.committer.enqueue(pending);
      this.inflight.push(pending);
    }
  }

  /** One arrived update. False if its sender was closed. */
  private integrateArrival(doc: Y.Doc, peer: Peer, update: Uint8Array, outline: UpdateOutline, receivedAt: number): boolean {
    if (hasMissingDependencies(doc, outline)) return this.wait(peer, update, receivedAt);
    return this.integrateFromPeer(doc, peer, update, receivedAt);
  }

  /**
   * The last update in flight gets its "saved" state vector only when the document is about to
   * change after it, and not at all when the next change is its own origin's: that one's
   * acknowledgement covers both. One encoding per run of a writer's updates instead of one per
   * update (a burst from one client was spending more on state vectors than on SQLite).
   */
  private settleSavedStateVector(next: Peer): void {
    const last = this.inflight[this.inflight.length - 1];
    if (!last || last.savedStateVector !== null || !last.origin.wantsSavedAcks || last.origin === next || !this.doc) return;
    last.savedStateVector = Y.encodeStateVector(this.doc);
  }

  /** False, with the peer closed, if the backlog is full (D4): then nothing was integrated. */
  private integrateFromPeer(doc: Y.Doc, peer: Peer, received: Uint8Array, receivedAt: number): boolean {
    let update = received;
    if (!canEdit(peer.role)) {
      // A comment-only key: whatever is outside the comments is taken out first (rule C1).
      const scoped = limitToComments(doc, received);
      if (scoped.dropped > 0) this.deps.metrics.updatesDropped.inc({ reason: 'outside-comments' });
      update = scoped.update;
    }
    // Checked again here, not only on arrival: an update that waited for its dependencies (D9)
    // is integrated later, when the backlog may be full. Integrated but not queued, it would
    // never be committed and would block every commit after it (found by the simulation).
    if (!this.deps.committer.canAccept(this.docId, update.length)) {
      peer.close(CloseCode.InternalError, 'storage unavailable; retry later');
      return false;
    }
    this.settleSavedStateVector(peer);
    const outcome = this.integrate(doc, update, peer, true);
    if (!outcome) {
      this.deps.metrics.updatesDropped.inc({ reason: 'does-not-integrate' });
      throw new ProtocolError('Yjs update does not apply to this document');
    }
    const pending: PendingUpdate = {
      docId: this.docId,
      origin: peer,
      update,
      receivedAt,
      savedStateVector: null,
      changedNothing: !outcome.changed,
    };
    this.deps.committer.enqueue(pending);
    this.inflight.push(pending);
    return true;
  }

  private hasWaiting(): boolean {
    return this.waiting !== null && this.waiting.size > 0;
  }

  /** False, with the peer closed, if it has too much waiting already. */
  private wait(peer: Peer, update: Uint8Array, receivedAt: number): boolean {
    this.waiting ??= new Map();
    const entry = this.waiting.get(peer) ?? { updates: [], bytes: 0 };
    if (entry.bytes + update.length > MAX_WAITING_BYTES_PER_PEER) {
      this.waiting.delete(peer);
      peer.close(CloseCode.TryAgainLater, 'too many updates waiting for content the server does not have; reconnect');
      return false;
    }
    entry.updates.push({ update, receivedAt });
    entry.bytes += update.length;
    this.waiting.set(peer, entry);
    return true;
  }

  /** Integrates every waiting update whose dependencies have arrived, until none is left that can. */
  private retryWaiting(): void {
    let progressed = true;
    const waiting = this.waiting;
    while (progressed && waiting !== null && waiting.size > 0 && this.doc && !this.rebuilding) {
      progressed = false;
      for (const [peer, entry] of [...waiting]) {
        const doc = this.doc;
        const ready = entry.updates.filter((item) => !hasMissingDependencies(doc, outlineUpdate(item.update)));
        if (ready.length === 0) continue;
        progressed = true;
        entry.updates = entry.updates.filter((item) => !ready.includes(item));
        entry.bytes = entry.updates.reduce((sum, item) => sum + item.update.length, 0);
        if (entry.updates.length === 0) waiting.delete(peer);
        try {
          for (const item of ready) {
            if (this.integrateFromPeer(doc, peer, item.update, item.receivedAt)) continue;
            waiting.delete(peer);
            break;
          }
        } catch (error) {
          waiting.delete(peer);
          this.frameFailed(peer, error);
          return;
        }
      }
    }
    if (waiting !== null && waiting.size === 0 && this.waiting === waiting) this.waiting = null;
  }

  /**
   * Applies an update to the live document. False, with a rebuild started, if it threw (the
   * document may be half-applied) or, for a client update, if it left structs waiting for
   * content this document does not have (they could fail later, blamed on someone else).
   */
  private integrate(doc: Y.Doc, update: Uint8Array, origin: unknown, fromClient: boolean): { readonly changed: boolean } | null {
    const hadPending = hasPendingStructs(doc);
    let changed: boolean;
    try {
      changed = applyAndTellIfChanged(doc, update, origin);
    } catch (error) {
      this.deps.logger.warn({ docId: this.docId, err: error }, 'an update failed to integrate');
      this.startRebuild('an update failed to integrate');
      return null;
    }
    if (fromClient && !hadPending && hasPendingStructs(doc)) {
      this.startRebuild('an update refers to content this document does not have');
      return null;
    }
    return { changed };
  }

  private receiveRemoteUpdate(update: Uint8Array): void {
    if (!this.doc && this.stored) {
      // Not built yet: it joins the stored log, and peers get it as it is (it is committed).
      this.stored.updates.push(update);
      this.storedStateVector = null;
    } else if (!this.integrate(this.ensureDoc(), update, 'bus', false)) {
      return;
    }
    const frame = encodeUpdate(update);
    for (const peer of this.peers) peer.send(frame);
    if (this.hasWaiting()) this.retryWaiting();
  }

  private receiveRemoteAwareness(update: Uint8Array, from: string): void {
    let entries: AwarenessEntry[];
    try {
      entries = decodeAwarenessEntries(update);
    } catch {
      return;
    }
    const renewals = this.renewalsAmong(entries);
    for (const entry of this.presence.applyRemote(from, entries, this.deps.scheduler.now())) {
      this.notePresenceChange(entry, false, renewals?.has(entry) ?? false);
    }
    this.schedulePresenceSweep();
  }

  // --- rebuilding --------------------------------------------------------------------------------

  private startRebuild(reason: string): void {
    if (this.rebuilding || this.destroyed) return;
    this.rebuilding = true;
    this.deps.metrics.roomRebuilds.inc();
    this.deps.logger.warn({ docId: this.docId, reason }, 'rebuilding the document from storage');
    const attempt = (retryMs: number) => {
      this.deps.reload(this.docId).then(
        (stored) => this.finishRebuild(stored),
        (error: unknown) => {
          if (this.destroyed) return;
          this.deps.metrics.storageErrors.inc({ op: 'load' });
          this.deps.logger.error({ docId: this.docId, err: error, retryInMs: retryMs }, 'reloading the document failed; retrying');
          this.deps.scheduler.after(retryMs, () => attempt(Math.min(retryMs * 2, MAX_RELOAD_RETRY_MS)));
        },
      );
    };
    attempt(FIRST_RELOAD_RETRY_MS);
  }

  private finishRebuild(stored: StoredDoc): void {
    if (this.destroyed) return;
    const fresh = buildDoc(stored, (index, error) => this.reportBadEntry(index, error));
    // Applying an update twice changes nothing, so those committed since the reload may repeat.
    for (const pending of this.inflight) {
      try {
        Y.applyUpdate(fresh, pending.update, pending.origin);
      } catch (error) {
        this.deps.logger.error({ docId: this.docId, err: error }, 'an update in flight failed to apply to the rebuilt document');
      }
    }
    this.doc?.destroy();
    this.doc = fresh;
    this.stored = null;
    this.storedStateVector = null;
    this.rebuilding = false;
    this.sendStep1ToWaiting();
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const item of held) this.replay(item);
    if (this.hasWaiting()) this.retryWaiting();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve();
    this.deps.onSettled(this.docId);
  }

  /** False, with the peer closed, if too much is held already. */
  private holdFrame(peer: Peer, frame: ClientFrame, receivedAt: number): boolean {
    const bytes = frame.kind === 'update' || frame.kind === 'awareness' ? frame.update.length : frame.kind === 'sync-step1' ? frame.stateVector.length : 1;
    if (this.heldBytes + bytes > this.deps.maxHeldBytes) {
      peer.close(CloseCode.TryAgainLater, 'the document is being reloaded; reconnect');
      return false;
    }
    this.heldBytes += bytes;
    this.held.push({ kind: 'frame', peer, frame, receivedAt, bytes });
    return true;
  }

  private replay(item: Held): void {
    switch (item.kind) {
      case 'frame':
        try {
          this.receive(item.peer, item.frame, item.receivedAt);
        } catch (error) {
          this.frameFailed(item.peer, error);
        }
        return;
      case 'bus':
        return this.receiveBus(item.message, item.from);
      case 'catch-up':
        return this.catchUp(item.stored);
    }
  }

  /** Not rebuilding, with every update that arrived integrated. */
  private async whenReadyAndCaughtUp(): Promise<void> {
    for (;;) {
      await this.whenReady();
      this.integrateArrivals();
      if (!this.rebuilding) return;
    }
  }

  private whenReady(): Promise<void> {
    if (!this.rebuilding) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  // --- presence ----------------------------------------------------------------------------------

  /** The entries that only renew a state held (see Presence.isRenewal); null when none do, as usual. */
  private renewalsAmong(entries: readonly AwarenessEntry[]): Set<AwarenessEntry> | null {
    let renewals: Set<AwarenessEntry> | null = null;
    for (const entry of entries) if (this.presence.isRenewal(entry)) (renewals ??= new Set()).add(entry);
    return renewals;
  }

  /**
   * Changes go out at the end of this turn. A renewal waits for the next change, or at most
   * RENEWAL_WAIT_MS, and goes in its frame (rule P9): with hundreds of people each renewing every
   * 15 s, a frame per renewal would be a write to every connection several times a second.
   */
  private notePresenceChange(entry: AwarenessEntry, local: boolean, renewal = false): void {
    if (renewal) {
      (this.renewals ??= new Map()).set(entry.clientId, { entry, local });
      this.cancelRenewalWait ??= this.deps.scheduler.after(RENEWAL_WAIT_MS, () => {
        this.cancelRenewalWait = null;
        this.deps.beforeNextFlush(this.flushPresenceTask);
      });
      return;
    }
    this.renewals?.delete(entry.clientId);
    (this.changedPresence ??= new Map()).set(entry.clientId, entry);
    if (local) (this.changedLocalPresence ??= new Map()).set(entry.clientId, entry);
    this.deps.beforeNextFlush(this.flushPresenceTask);
  }

  /** One awareness frame for all changes and waiting renewals, encoded once and sent to every peer. */
  private flushPresence(): void {
    if (this.renewals) {
      for (const { entry, local } of this.renewals.values()) {
        (this.changedPresence ??= new Map()).set(entry.clientId, entry);
        if (local) (this.changedLocalPresence ??= new Map()).set(entry.clientId, entry);
      }
      this.renewals = null;
      this.cancelRenewalWait?.();
      this.cancelRenewalWait = null;
    }
    const changed = this.changedPresence;
    const local = this.changedLocalPresence;
    this.changedPresence = null;
    this.changedLocalPresence = null;
    if (changed && changed.size > 0 && this.peers.size > 0) {
      // The sender gets its own entry back too: stock clients rely on traffic to stay connected.
      const frame = encodeAwareness(encodeAwarenessEntries(changed.values(), changed.size));
      for (const peer of this.peers) peer.send(frame);
    }
    if (local && local.size > 0) {
      this.deps.bus.publish({ kind: 'awareness', docId: this.docId, update: encodeAwarenessEntries(local.values(), local.size) });
    }
  }

  /**
   * Another instance just opened this document: tell it who is here, or its people would see
   * ours only when each of them next moves or renews (up to 15 s later) (rule P8).
   */
  private announcePresence(): void {
    const local = this.presence.presentLocal();
    if (local.length > 0) this.deps.bus.publish({ kind: 'awareness', docId: this.docId, update: encodeAwarenessEntries(local, local.length) });
  }

  /** Expires presence of instances that stopped renewing it (they died without a goodbye). */
  private schedulePresenceSweep(): void {
    if (this.cancelPresenceSweep || !this.presence.hasRemote || this.destroyed) return;
    this.cancelPresenceSweep = this.deps.scheduler.after(REMOTE_TTL_MS / 2, () => {
      this.cancelPresenceSweep = null;
      if (this.destroyed) return;
      const now = this.deps.scheduler.now();
      for (const removal of this.presence.expireRemote(now)) this.notePresenceChange(removal, false);
      this.presence.prune(now);
      this.schedulePresenceSweep();
    });
  }
}
