import type { DocId } from '../../lib/doc-id';
import { CloseCode } from '../../lib/protocol';
import { checkKey, type AccessDecision } from '../../server/access/access';
import type { Logger } from '../../server/logger';
import type { Metrics } from '../../server/metrics';
import type { DocLog } from '../../server/storage/doc-log';
import { ProtocolError, decodeClientFrame, encodePermissionDenied } from '../../server/protocol/frames';
import type { CommitterLimits } from '../../server/rooms/committer';
import { RoomRegistry } from '../../server/rooms/registry';
import type { Room } from '../../server/rooms/room';
import { OutboxFlusher } from '../../server/transport/outbox';
import type { SimBusHub } from './sim-bus';
import type { ServerConnection } from './sim-network';
import type { SimScheduler } from './sim-scheduler';
import type { SimStorage } from './sim-storage';
import { DocFolder, foldHere } from '../../server/rooms/doc-folder';

/** How long a connection may wait for its document, as in the real transport. */
const JOIN_TIMEOUT_MS = 30_000;
/** How long shutdown waits for commits and compactions, as in the real server. */
export const SHUTDOWN_DRAIN_MS = 10_000;

export interface InstanceOptions {
  readonly id: string;
  readonly scheduler: SimScheduler;
  readonly storage: SimStorage;
  /** The log the registry writes to: `storage.log`, or a test's wrapper around it. */
  readonly log: DocLog;
  readonly hub: SimBusHub;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly committerLimits: Partial<CommitterLimits>;
  readonly minLogBytesToCompact: number;
  /** Counts a path worth reaching ('join-while-loading', 'join-failed'). */
  readonly reached: (path: string) => void;
  readonly trace: (line: string) => void;
}

/**
 * One incarnation of a server process: the real RoomRegistry (with its rooms, committer and
 * compactor) behind the same steps the WebSocket transport takes — key check, join with a
 * timeout, key re-check, then frames into the room — on simulated storage, bus and time.
 */
export class SimInstance {
  readonly registry: RoomRegistry;
  readonly flusher: OutboxFlusher;
  readonly connections = new Set<ServerConnection>();
  state: 'up' | 'stopping' | 'down' = 'up';
  /** Joins not yet finished, per document. */
  private readonly joining = new Map<DocId, number>();

  constructor(private readonly options: InstanceOptions) {
    const scheduler = options.scheduler.schedulerFor(options.id);
    this.flusher = new OutboxFlusher(scheduler.soon);
    this.registry = new RoomRegistry({
      log: options.log,
      links: options.storage.links,
      bus: options.hub.connect(options.id),
      logger: options.logger,
      metrics: options.metrics,
      scheduler,
      beforeNextFlush: (task) => this.flusher.beforeNextFlush(task),
      committerLimits: options.committerLimits,
      minLogBytesToCompact: options.minLogBytesToCompact,
      // Folded in process, in the scheduler's order: the fold process's replies would arrive in real time.
      folder: new DocFolder({ foldElsewhere: async (stored) => foldHere(stored) }),
    });
  }

  get id(): string {
    return this.options.id;
  }

  get storage(): SimStorage {
    return this.options.storage;
  }

  /** A connection was opened to this instance: check its key, join its room, then read its frames. */
  async accept(conn: ServerConnection, docId: DocId, key: string): Promise<void> {
    const { storage, scheduler } = this.options;
    // The client may have hung up before its connection reached the server.
    if (!conn.isOpen) return;
    this.connections.add(conn);
    let decision: AccessDecision;
    try {
      decision = await checkKey(storage.links, docId, key, scheduler.now());
    } catch {
      return conn.close(CloseCode.InternalError, 'storage unavailable; retry later');
    }
    if (!conn.isOpen) return;
    if (decision.kind !== 'granted') {
      conn.send(encodePermissionDenied(decision.kind));
      return conn.close(CloseCode.Unauthorized, decision.kind);
    }
    const cancelTimeout = scheduler.at(JOIN_TIMEOUT_MS, this.id, 'join timeout', () => conn.close(CloseCode.InternalError, 'the document took too long to load; retry'));
    const loadingAlready = (this.joining.get(docId) ?? 0) > 0 && storage.pendingCount('load') > 0;
    if (loadingAlready) this.options.reached('join-while-loading');
    this.joining.set(docId, (this.joining.get(docId) ?? 0) + 1);
    let room: Room | null;
    try {
      room = await this.registry.join(docId, conn, () => conn.isOpen);
    } catch {
      this.options.reached('join-failed');
      return conn.close(CloseCode.InternalError, 'could not load the document; retry later');
    } finally {
      cancelTimeout();
      this.joining.set(docId, this.joining.get(docId)! - 1);
    }
    if (!room) return;
    conn.room = room;
    let again: AccessDecision;
    try {
      again = await checkKey(storage.links, docId, key, scheduler.now());
    } catch {
      return conn.close(CloseCode.InternalError, 'storage unavailable; retry later');
    }
    if (again.kind !== 'granted') return conn.close(CloseCode.Forbidden, again.kind);
    if (!conn.isOpen) return;
    const paused = conn.paused ?? [];
    conn.paused = null;
    for (const frame of paused) this.receive(conn, frame);
  }

  /** A frame from a client, as the transport hands it to the room. */
  receive(conn: ServerConnection, frame: Uint8Array): void {
    if (!conn.isOpen || this.state === 'down') return;
    if (conn.paused) {
      conn.paused.push(frame);
      return;
    }
    const room = conn.room;
    if (!room) return;
    try {
      room.receive(conn, decodeClientFrame(frame), 0);
    } catch (error) {
      if (error instanceof ProtocolError) conn.close(CloseCode.BadRequest, error.message);
      else {
        this.options.trace(`${this.id} frame handling threw: ${String(error)}`);
        conn.close(CloseCode.InternalError, 'internal error');
      }
    }
  }

  /** The socket's 'close' event: the client went, or the server's close finished. */
  closed(conn: ServerConnection): void {
    if (this.state === 'down') return;
    conn.markClosed();
    if (!this.connections.delete(conn)) return;
    if (conn.room) this.registry.leave(conn.room, conn);
  }

  /** The process is killed: no goodbyes, no more tasks, storage calls in flight never answer. */
  crash(): void {
    this.state = 'down';
    this.options.scheduler.killOwner(this.id);
    this.options.storage.crash();
    this.options.hub.disconnect(this.id);
    for (const conn of this.connections) conn.sever();
  }

  /**
   * A clean shutdown as the real server does it: drain, close every connection with 1012, then
   * close bus and storage. Resolves with whether everything accepted was committed.
   */
  async shutdown(): Promise<boolean> {
    this.state = 'stopping';
    const drained = await this.registry.shutdown(CloseCode.ServiceRestart, 'server restarting', SHUTDOWN_DRAIN_MS);
    this.options.hub.disconnect(this.id);
    return drained;
  }

  /** After shutdown: storage closes, and the process exits. */
  exit(): void {
    this.options.storage.close();
    this.state = 'down';
  }

  /** The process exits: its tasks go with it, and sockets still open (joins that never finished) drop. */
  reap(): void {
    this.options.scheduler.killOwner(this.id);
    for (const conn of this.connections) conn.sever();
  }
}
