import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { CloseCode } from '../../lib/protocol';
import type { Bus, BusMessage } from '../bus/bus';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Scheduler } from '../scheduler';
import type { DocLog } from '../storage/doc-log';
import type { LinkStore } from '../storage/link-store';
import { AutoVersioner, type AutoVersionPolicy } from '../versions/auto-versioner';
import { buildDoc } from './build-doc';
import { Committer, type CommitterLimits, type PendingUpdate } from './committer';
import { Compactor } from './compactor';
import type { Peer } from './peer';
import { DEFAULT_PRESENCE_LIMITS, type PresenceLimits } from './presence';
import { Room } from './room';

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
  /** Automatic versions (rule V3): when, and how to take one. None without it. */
  readonly autoVersions?: {
    readonly policy: AutoVersionPolicy;
    readonly take: (docId: DocId, authors: string[]) => Promise<unknown>;
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
  private readonly unsubscribes = new Map<DocId, () => void>();
  /** Documents whose catch-up after a bus gap has not succeeded yet. */
  private readonly stale = new Set<DocId>();
  private readonly committer: Committer;
  private readonly compactor: Compactor;
  private readonly versioner: AutoVersioner | null;
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
    this.compactor = new Compactor({ log: options.log, logger: options.logger, metrics: options.metrics, onSettled: (docId) => this.maybeUnload(docId) });
  }

  /** Loads the room (once) and adds the peer; if the peer went away meanwhile, returns null. */
  async join(docId: DocId, peer: Peer, isOpen: () => boolean): Promise<Room | null> {
    const room = await this.open(docId);
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
    const doc = buildDoc(await this.options.log.load(docId), () => {});
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
      Promise.all([this.committer.drain(), this.compactor.drain()])
        .then(() => this.versioner?.drain())
        .then(() => true),
      timedOut,
    ]);
    cancel();
    this.committer.stop();
    for (const room of [...this.rooms.values()]) room.closeAll(code, reason);
    return drained;
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
    let stored;
    try {
      stored = await log.load(docId);
    } catch (error) {
      unsubscribe();
      metrics.storageErrors.inc({ op: 'load' });
      logger.error({ docId, err: error }, 'failed to load document');
      throw error;
    }
    metrics.documentLoads.inc();
    const created: Room = new Room(docId, stored, {
      committer: this.committer,
      bus,
      logger,
      metrics,
      scheduler: this.options.scheduler,
      presenceLimits: this.options.presenceLimits ?? DEFAULT_PRESENCE_LIMITS,
      maxHeldBytes: this.options.maxHeldBytes ?? 8 * 1024 * 1024,
      beforeNextFlush: this.options.beforeNextFlush,
      reload: () => log.load(docId),
      onBuilt: (doc, throughSeq) => this.compactor.built(docId, doc, throughSeq),
      onSettled: () => this.maybeUnload(docId),
    });
    room = created;
    this.rooms.set(docId, created);
    this.unsubscribes.set(docId, unsubscribe);
    this.compactor.track(docId, stored);
    metrics.documents.set(this.rooms.size);
    for (const [message, from] of early) this.onBusMessage(created, message, from);
    return created;
  }

  private onBusMessage(room: Room, message: BusMessage, from: string): void {
    if (this.rooms.get(room.docId) !== room) return;
    try {
      room.receiveBus(message, from);
    } catch (error) {
      this.options.logger.error({ docId: room.docId, err: error, kind: message.kind }, 'handling a bus message failed');
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
    Promise.all([log.load(docId), links.listLinks(docId)]).then(
      ([stored, linkRecords]) => {
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

  private maybeUnload(docId: DocId): void {
    const room = this.rooms.get(docId);
    if (!room || !room.isIdle() || this.committer.hasPending(docId) || this.compactor.isBusy(docId)) return;
    // The last person left: what they changed gets its version (from storage, all committed).
    this.versioner?.takeNow(docId);
    this.rooms.delete(docId);
    this.unsubscribes.get(docId)?.();
    this.unsubscribes.delete(docId);
    this.compactor.forget(docId);
    this.stale.delete(docId);
    room.destroy();
    this.options.metrics.documents.set(this.rooms.size);
    this.options.metrics.staleDocuments.set(this.stale.size);
  }
}
