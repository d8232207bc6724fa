import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { CloseCode } from '../../lib/protocol';
import type { Bus, BusMessage } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Scheduler } from '../scheduler';
import type { DocLog, StoredDoc } from '../storage/doc-log';
import type { LinkStore } from '../storage/link-store';
import { AutoVersioner, type AutoVersionerOptions, type AutoVersionPolicy } from '../versions/auto-versioner';
import { buildDoc } from './build-doc';
import { Committer, type CommitterLimits, type PendingUpdate } from './committer';
import { Compactor } from './compactor';
import { DocFolder, type FoldedDoc } from './doc-folder';
import { MemoryReclaimer } from './memory-reclaimer';
import type { Peer } from './peer';
import { DEFAULT_PRESENCE_LIMITS, type PresenceLimits } from './presence';
import { Room, type RoomDeps } from './room';

export interface RegistryOptions {
  readonly log: DocLog;
  /** For closing links revoked while the bus was away. */
  readonly links: LinkStore;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly scheduler: Scheduler;
  readonly beforeNextFlush: (task: () => void) => void;
  readonly presenceLimits?: PresenceLimits;
  readonly committerLimits?: Partial<CommitterLimits>;
  /** Most bytes of frames one room holds while it rebuilds (default 8 MiB). */
  readonly maxHeldBytes?: number;
  /** Smallest log worth compacting (default 64 KiB); the simulation lowers it to reach compaction with small edits. */
  readonly minLogBytesToCompact?: number;
  /** Folds long logs into snapshots (default: in a process of their own; the simulation folds in its own thread). */
  readonly folder?: DocFolder;
  /** Automatic versions (rule V3): when, and how to take one. None without it. */
  readonly autoVersions?: {
    readonly policy: AutoVersionPolicy;
    readonly take: AutoVersionerOptions['take'];
  };
}

const FIRST_CATCH_UP_RETRY_MS = 250;
const MAX_CATCH_UP_RETRY_MS = 10_000;

/** A peer that stands for the server itself (the content API, restores): no socket, every right to edit. */
export class ServerPeer implements Peer {
  readonly role = 'owner';
  readonly linkId = null;
  readonly wantsSavedAcks = false;
  send(): void {}
  close(): void {}
}

/**
 * The names of the people whose updates these are (the server's own changes have none), or null
 * if none of them changed anything (stock clients re-send what the server has after syncing).
 */
function authorsOf(room: Room, updates: readonly PendingUpdate[]): string[] | null {
  const names: string[] = [];
  let changed = false;
  let last: Peer | null = null;
  for (const { origin, changedNothing } of updates) {
    if (changedNothing) continue;
    changed = true;
    if (origin === last || origin instanceof ServerPeer) continue;
    last = origin;
    const name = room.authorName(origin);
    if (name !== null) names.push(name);
  }
  return changed ? names : null;
}

/**
 * The only lifecycle state of the server: which documents are loaded or loading, and everything
 * in flight for them (commits through the Committer, compactions through the Compactor). A
 * document loads once however many connections ask at the same time, and unloads when its last
 * connection has gone and nothing is in flight for it (docs/PROTOCOL.md, rules L1–L4).
 */
export class RoomRegistry {
  private readonly rooms = new Map<DocId, Room>();
  private readonly loading = new Map<DocId, Promise<Room>>();
  /** Joins waiting for their room, per document: it may not unload under them. */
  private readonly joining = new Map<DocId, number>();
  private readonly unsubscribes = new Map<DocId, () => void>();
  /** Documents whose catch-up after a bus gap has not succeeded yet. */
  private readonly stale = new Set<DocId>();
  private readonly committer: Committer;
  private readonly compactor: Compactor;
  private readonly versioner: AutoVersioner | null;
  /** Builds long logs in the fold process, so a big document never stalls the others. */
  private readonly folder: DocFolder;
  private readonly reclaimer: MemoryReclaimer;
  /** One for every room (they name their document when they call back), not a set of closures each. */
  private readonly roomDeps: RoomDeps;
  private closed = false;

  constructor(private readonly options: RegistryOptions) {
    this.committer = new Committer({
      log: options.log,
      scheduler: options.scheduler,
      logger: options.logger,
      metrics: options.metrics,
      limits: options.committerLimits,
      onCommitted: (docId, updates) => {
        const room = this.rooms.get(docId);
        // A room never unloads with updates in flight, so it is here.
        if (!room) return options.logger.error({ docId }, 'committed updates for a document that is not loaded');
        room.committed(updates);
        let bytes = 0;
        for (const pending of updates) bytes += pending.update.length;
        const now = performance.now();
        for (const pending of updates) options.metrics.fanoutLatency.observe((now - pending.receivedAt) / 1000);
        this.compactor.grew(docId, bytes);
        const authors = this.versioner ? authorsOf(room, updates) : null;
        if (authors) this.versioner?.changed(docId, authors);
        this.maybeUnload(docId);
      },
    });
    const auto = options.autoVersions;
    this.versioner = auto ? new AutoVersioner({ scheduler: options.scheduler, logger: options.logger, policy: auto.policy, take: auto.take }) : null;
    this.folder = options.folder ?? new DocFolder({ onRequest: (kind) => options.metrics.foldRequests.inc({ kind }) });
    this.folder.start();
    this.reclaimer = new MemoryReclaimer(options.scheduler);
    this.compactor = new Compactor({
      log: options.log,
      logger: options.logger,
      metrics: options.metrics,
      minLogBytes: options.minLogBytesToCompact,
      folder: this.folder,
      onSettled: (docId) => this.maybeUnload(docId),
    });
    this.roomDeps = {
      committer: this.committer,
      bus: options.bus,
      logger: options.logger,
      metrics: options.metrics,
      scheduler: options.scheduler,
      presenceLimits: options.presenceLimits ?? DEFAULT_PRESENCE_LIMITS,
      maxHeldBytes: options.maxHeldBytes ?? 8 * 1024 * 1024,
      beforeNextFlush: options.beforeNextFlush,
      readStateVector: (snapshot) => this.folder.readStateVector(snapshot),
      reload: async (docId) => (await this.loadFolded(docId)).stored,
      onBuilt: (docId, doc, throughSeq) => this.compactor.built(docId, doc, throughSeq),
      onSettled: (docId) => this.maybeUnload(docId),
    };
  }

  /** Loads the room (once) and adds the peer; if the peer went away meanwhile, returns null. */
  async join(docId: DocId, peer: Peer, isOpen: () => boolean): Promise<Room | null> {
    // Counted while waiting, so that one join giving up cannot unload the room another is about
    // to enter (found by the simulation, tests/sim/regressions.test.ts).
    this.joining.set(docId, (this.joining.get(docId) ?? 0) + 1);
    let room: Room;
    try {
      room = await this.open(docId);
    } finally {
      const left = this.joining.get(docId)! - 1;
      if (left > 0) this.joining.set(docId, left);
      else this.joining.delete(docId);
    }
    if (!isOpen() || this.closed) {
      this.maybeUnload(docId);
      return null;
    }
    room.join(peer);
    return room;
  }

  /** Removes a peer from its room; the room unloads if that was all it was waiting for. */
  leave(room: Room, peer: Peer): void {
    room.leave(peer);
    this.maybeUnload(room.docId);
  }

  /** Closes the connections of a revoked link here and tells other instances. */
  revokeLink(docId: DocId, linkId: string): void {
    this.rooms.get(docId)?.closeLink(linkId, CloseCode.Forbidden, 'permission denied: this link was revoked');
    this.options.bus.publish({ kind: 'revoke', docId, linkId });
  }

  /** Closes every connection to a deleted document, here and on other instances. */
  closeDeleted(docId: DocId): void {
    this.rooms.get(docId)?.closeAll(CloseCode.Gone, 'this document was deleted');
    this.options.bus.publish({ kind: 'delete', docId });
  }

  /** Resolves once everything accepted for `docId` so far is committed. */
  whenCommitted(docId: DocId): Promise<void> {
    return new Promise((resolve) => this.committer.whenCommitted(docId, resolve));
  }

  /**
   * Makes a change as the server (the content API, a restore): `change` edits the live document
   * and the update it makes is committed, then relayed, like a client's. Resolves once committed;
   * false if nothing changed.
   */
  async change(docId: DocId, change: (doc: Y.Doc) => void): Promise<boolean> {
    const peer = new ServerPeer();
    const room = await this.join(docId, peer, () => true);
    if (!room) throw new Error('the server is shutting down');
    try {
      return await room.applyServerChange(peer, change);
    } finally {
      this.leave(room, peer);
    }
  }

  /** The document's committed state as one Yjs update: from its room when loaded, else from storage. */
  async readCommitted(docId: DocId): Promise<Uint8Array> {
    const room = this.rooms.get(docId);
    if (room) return room.readCommitted();
    const doc = buildDoc((await this.loadFolded(docId)).stored, () => {});
    try {
      return Y.encodeStateAsUpdate(doc);
    } finally {
      doc.destroy();
    }
  }

  /**
   * Who changed the document since its last version, forgetting them: a version is about to be
   * taken another way (someone named one, or a restore), and it covers their changes.
   */
  claimAuthors(docId: DocId): string[] {
    return this.versioner?.claim(docId) ?? [];
  }

  get loadedCount(): number {
    return this.rooms.size;
  }

  /** Shutdown: commit what was accepted and finish compactions, then close every connection. */
  async shutdown(code: number, reason: string, drainTimeoutMs: number): Promise<boolean> {
    this.closed = true;
    let cancel = () => {};
    const timedOut = new Promise<boolean>((resolve) => {
      cancel = this.options.scheduler.after(drainTimeoutMs, () => resolve(false));
    });
    const drained = await Promise.race([
      this.drainWork()
        .then(() => this.versioner?.drain())
        .then(() => true),
      timedOut,
    ]);
    cancel();
    this.committer.stop();
    await this.folder.close();
    this.reclaimer.stop();
    for (const room of [...this.rooms.values()]) room.closeAll(code, reason);
    return drained;
  }

  /**
   * Waits until nothing is being committed or compacted. A commit can start a compaction, and
   * connections still deliver updates until they close, so one pass is not enough (the
   * simulation found shutdown returning under a compaction its last commit started, rule D8).
   */
  private async drainWork(): Promise<void> {
    do {
      await this.committer.drain();
      await this.compactor.drain();
    } while (!this.committer.idle || !this.compactor.idle);
  }

  private open(docId: DocId): Promise<Room> {
    const loaded = this.rooms.get(docId);
    if (loaded) return Promise.resolve(loaded);
    let loading = this.loading.get(docId);
    if (!loading) {
      loading = this.load(docId).finally(() => this.loading.delete(docId));
      this.loading.set(docId, loading);
    }
    return loading;
  }

  private async load(docId: DocId): Promise<Room> {
    const { log, bus, logger, metrics } = this.options;
    // Subscribe before loading so nothing another instance commits in between is missed;
    // messages that arrive before the room exists wait in `early`.
    let room: Room | null = null;
    const early: Array<[BusMessage, string]> = [];
    let unsubscribe: () => void;
    try {
      unsubscribe = await bus.subscribe(
        docId,
        (message, from) => (room ? this.onBusMessage(room, message, from) : early.push([message, from])),
        () => this.catchUp(docId),
      );
    } catch (error) {
      metrics.busErrors.inc({ op: 'subscribe' });
      logger.error({ docId, err: error }, 'could not subscribe to the bus');
      throw error;
    }
    let loaded: FoldedDoc;
    try {
      loaded = await this.loadFolded(docId);
    } catch (error) {
      unsubscribe();
      metrics.storageErrors.inc({ op: 'load' });
      logger.error({ docId, err: error }, 'failed to load document');
      throw error;
    }
    const { stored, stateVector, folded } = loaded;
    metrics.documentLoads.inc();
    const created: Room = new Room(docId, stored, stateVector, this.roomDeps);
    room = created;
    this.rooms.set(docId, created);
    this.unsubscribes.set(docId, unsubscribe);
    this.compactor.track(docId, stored);
    // The fold process already built the snapshot a compaction needs: store it rather than build it again.
    if (folded && stored.snapshot && stateVector) {
      this.compactor.folded(docId, stored.snapshot, stateVector, stored.throughSeq, folded.bytes, folded.storedSnapshotBytes);
    }
    metrics.documents.set(this.rooms.size);
    for (const [message, from] of early) this.onBusMessage(created, message, from);
    // Others answer with their clients' presence, which reaches this room as it is now (rule P8).
    bus.publish({ kind: 'presence-query', docId });
    return created;
  }

  private onBusMessage(room: Room, message: BusMessage, from: string): void {
    if (this.rooms.get(room.docId) !== room) return;
    try {
      room.receiveBus(message, from);
    } catch (error) {
      this.options.logger.error({ docId: room.docId, err: error, kind: message.kind }, 'handling a bus message failed');
      room.recover('handling a bus message failed');
    }
  }

  /**
   * The bus may have lost messages for this document: merge what storage holds, and close
   * connections of links revoked meanwhile. Retried with backoff until it succeeds, for as long
   * as the document stays loaded; `tandem_documents_stale` counts those still waiting.
   */
  private catchUp(docId: DocId, retryMs = FIRST_CATCH_UP_RETRY_MS): void {
    const { log, links, logger, metrics, scheduler } = this.options;
    if (!this.rooms.has(docId)) return;
    this.stale.add(docId);
    metrics.staleDocuments.set(this.stale.size);
    Promise.all([this.loadFolded(docId), links.listLinks(docId)]).then(
      ([{ stored }, linkRecords]) => {
        const room = this.rooms.get(docId);
        this.stale.delete(docId);
        metrics.staleDocuments.set(this.stale.size);
        if (!room) return;
        room.catchUp(stored);
        const now = scheduler.now();
        for (const link of linkRecords) {
          if (link.revokedAt) room.closeLink(link.id, CloseCode.Forbidden, 'permission denied: this link was revoked');
          else if (link.expiresAt && link.expiresAt.getTime() <= now) room.closeLink(link.id, CloseCode.Forbidden, 'permission denied: this link has expired');
        }
      },
      (error: unknown) => {
        metrics.catchUpFailures.inc();
        logger.error({ docId, err: error, retryInMs: retryMs }, 'failed to catch up after a bus gap; retrying');
        scheduler.after(retryMs, () => {
          if (this.rooms.has(docId)) this.catchUp(docId, Math.min(retryMs * 2, MAX_CATCH_UP_RETRY_MS));
          else {
            this.stale.delete(docId);
            metrics.staleDocuments.set(this.stale.size);
          }
        });
      },
    );
  }

  /** The stored document, a long log folded into one snapshot in the fold process (bad entries reported). */
  private async loadFolded(docId: DocId): Promise<FoldedDoc> {
    const folded = await this.folder.load(docId, this.options.log);
    for (const bad of folded.bad) {
      this.options.metrics.badStoredEntries.inc();
      this.options.logger.error({ docId, index: bad.index, err: bad.message }, 'skipped a stored entry that does not apply');
    }
    return folded;
  }

  private maybeUnload(docId: DocId): void {
    const room = this.rooms.get(docId);
    if (!room || !room.isIdle() || this.joining.has(docId) || this.committer.hasPending(docId) || this.compactor.isBusy(docId)) return;
    // The last person left: what they changed gets its version, of the state the room holds
    // (all of it committed), before the room goes.
    this.versioner?.takeNow(docId, () => room.idleState());
    this.rooms.delete(docId);
    this.unsubscribes.get(docId)?.();
    this.unsubscribes.delete(docId);
    this.compactor.forget(docId);
    this.stale.delete(docId);
    room.destroy();
    this.reclaimer.unloaded();
    this.options.metrics.documents.set(this.rooms.size);
    this.options.metrics.staleDocuments.set(this.stale.size);
  }
}
