import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { Bus, BusMessage } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Storage } from '../storage/storage';
import { Committer, type PendingUpdate } from './committer';
import { compactDoc, shouldCompact } from './compaction';
import type { Peer } from './peer';
import { Room } from './room';

export interface RegistryOptions {
  readonly storage: Storage;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly beforeNextFlush: (task: () => void) => void;
}

/**
 * The only lifecycle state of the server: which documents are loaded, loading or unloading.
 * A document loads once however many connections ask at the same time, and unloads when its
 * last connection has gone and everything it accepted is committed.
 */
export class RoomRegistry {
  private readonly rooms = new Map<DocId, Room>();
  private readonly loading = new Map<DocId, Promise<Room>>();
  readonly committer: Committer;

  constructor(private readonly options: RegistryOptions) {
    this.committer = new Committer({
      storage: options.storage,
      logger: options.logger,
      metrics: options.metrics,
      onCommitted: (batch) => this.relayCommitted(batch),
    });
  }

  get loadedCount(): number {
    return this.rooms.size;
  }

  get(docId: DocId): Room | undefined {
    return this.rooms.get(docId);
  }

  /** Loads the room (once) and adds the peer; if the peer went away meanwhile, returns null. */
  async join(docId: DocId, peer: Peer, isOpen: () => boolean): Promise<Room | null> {
    const room = await this.open(docId);
    if (!isOpen()) {
      this.maybeUnload(room);
      return null;
    }
    room.join(peer);
    return room;
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
    const { storage, bus, logger, metrics } = this.options;
    // Subscribe before loading so nothing another instance commits in between is missed;
    // messages that arrive before the room exists wait in `early`.
    let room: Room | null = null;
    const early: BusMessage[] = [];
    const unsubscribe = await bus.subscribe(
      docId,
      (message) => (room ? this.onBusMessage(room, message) : early.push(message)),
      () => {
        if (room) void this.catchUp(room);
      },
    );
    let stored;
    try {
      stored = await storage.loadDoc(docId);
    } catch (error) {
      unsubscribe();
      metrics.storageErrors.inc({ op: 'load' });
      logger.error({ docId, err: error }, 'failed to load document');
      throw error;
    }
    const created: Room = new Room(docId, stored, {
      committer: this.committer,
      bus,
      logger,
      metrics,
      onMaybeIdle: (r) => this.maybeUnload(r),
      onLogGrew: (r) => this.maybeCompact(r),
      beforeNextFlush: this.options.beforeNextFlush,
      onMaterialized: (r, doc, throughSeq) => this.compactOnLoad(r, doc, throughSeq),
    });
    created.unsubscribeBus = unsubscribe;
    room = created;
    for (const message of early) this.onBusMessage(created, message);
    this.rooms.set(docId, created);
    metrics.documents.set(this.rooms.size);
    return created;
  }

  private onBusMessage(room: Room, message: BusMessage): void {
    switch (message.kind) {
      case 'update':
        room.receiveRemoteUpdate(message.update);
        break;
      case 'awareness':
        room.receiveRemoteAwareness(message.update);
        break;
      case 'revoke':
        room.closeLink(message.linkId, 4403, 'link revoked');
        break;
      default: {
        const unreachable: never = message;
        void unreachable;
      }
    }
  }

  private async catchUp(room: Room): Promise<void> {
    try {
      const [stored, links] = await Promise.all([this.options.storage.loadDoc(room.docId), this.options.storage.listLinks(room.docId)]);
      if (this.rooms.get(room.docId) !== room) return;
      room.catchUp(stored);
      // A revocation may have been among the lost messages.
      const now = Date.now();
      for (const link of links) {
        if (link.revokedAt) room.closeLink(link.id, 4403, 'link revoked');
        else if (link.expiresAt && link.expiresAt.getTime() <= now) room.closeLink(link.id, 4403, 'link expired');
      }
      } catch (error) {
      this.options.logger.error({ docId: room.docId, err: error }, 'failed to catch up after a bus gap');
    }
  }

  private relayCommitted(batch: readonly PendingUpdate[]): void {
    // Group by room, keeping commit order within each.
    const byDoc = new Map<DocId, PendingUpdate[]>();
    for (const pending of batch) {
      const list = byDoc.get(pending.docId);
      if (list) list.push(pending);
      else byDoc.set(pending.docId, [pending]);
    }
    for (const [docId, updates] of byDoc) {
      const room = this.rooms.get(docId);
      // A room is never unloaded with uncommitted updates, so it is here.
      if (room) room.committed(updates);
      else this.options.logger.error({ docId }, 'committed updates for a document that is not loaded');
    }
    const now = performance.now();
    for (const pending of batch) this.options.metrics.fanoutLatency.observe((now - pending.receivedAt) / 1000);
  }

  /**
   * A freshly built doc is exactly what storage holds through `throughSeq` (nothing else is
   * applied yet), so a long log can be folded from it without loading it a second time.
   */
  private compactOnLoad(room: Room, doc: Y.Doc, throughSeq: number): void {
    if (room.compacting || !shouldCompact(room.logBytes, room.snapshotBytes)) return;
    const snapshot = Y.encodeStateAsUpdate(doc);
    const foldedBytes = room.logBytes;
    this.runCompaction(room, async () =>
      (await this.options.storage.compact(room.docId, snapshot, throughSeq)) ? { snapshotBytes: snapshot.length, foldedBytes } : null,
    );
  }

  private maybeCompact(room: Room): void {
    if (room.compacting || !shouldCompact(room.logBytes, room.snapshotBytes)) return;
    this.runCompaction(room, () => compactDoc(this.options.storage, room.docId));
  }

  /** Runs one compaction of the room's log; the room stays loaded until it has finished. */
  private runCompaction(room: Room, compact: () => Promise<{ snapshotBytes: number; foldedBytes: number } | null>): void {
    room.compacting = true;
    const { logger, metrics } = this.options;
    compact()
      .then((result) => {
        if (!result) return;
        metrics.compactions.inc();
        room.snapshotBytes = result.snapshotBytes;
        room.logBytes = Math.max(0, room.logBytes - result.foldedBytes);
        logger.debug({ docId: room.docId, ...result }, 'compacted');
      })
      .catch((error: unknown) => {
        metrics.storageErrors.inc({ op: 'compact' });
        logger.error({ docId: room.docId, err: error }, 'compaction failed; the log is kept');
      })
      .finally(() => {
        room.compacting = false;
        this.maybeUnload(room);
      });
  }

  private maybeUnload(room: Room): void {
    if (!room.idle || this.rooms.get(room.docId) !== room) return;
    this.rooms.delete(room.docId);
    room.unsubscribeBus?.();
    room.destroy();
    this.options.metrics.documents.set(this.rooms.size);
  }

  /** Closes the connections of a revoked link here and tells other instances. */
  revokeLink(docId: DocId, linkId: string): void {
    this.rooms.get(docId)?.closeLink(linkId, 4403, 'link revoked');
    this.options.bus.publish({ kind: 'revoke', docId, linkId });
  }

  /** Shutdown: commit what was accepted, then close every connection with the given code. */
  async shutdown(code: number, reason: string, drainTimeoutMs: number): Promise<boolean> {
    const drained = await Promise.race([
      this.committer.drain().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), drainTimeoutMs).unref()),
    ]);
    this.committer.stop();
    for (const room of [...this.rooms.values()]) room.closeAll(code, reason);
    return drained;
  }
}
