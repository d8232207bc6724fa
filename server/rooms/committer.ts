import type { DocId } from '../../lib/doc-id';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Scheduler } from '../scheduler';
import type { DocLog } from '../storage/doc-log';
import type { Peer } from './peer';

/** An accepted update waiting to be committed, then relayed by its room. */
export interface PendingUpdate {
  readonly docId: DocId;
  readonly origin: Peer;
  readonly update: Uint8Array;
  /** performance.now() when the frame arrived, for the fan-out latency metric. */
  readonly receivedAt: number;
  /**
   * For an origin that asked for "saved" acknowledgements: the encoded state vector of the
   * room's document right after this update was applied. Everything it covers is committed once
   * this update is, because a document's updates commit in the order they were applied. The room
   * fills it in lazily (only when the document is about to move on), so it may still be null.
   */
  savedStateVector: Uint8Array | null;
  /** True when applying it changed nothing (a client re-sending what the server has): no version authorship. */
  readonly changedNothing?: boolean;
}

export interface CommitterLimits {
  /** Unsent bytes past which `enqueue` refuses, over every document (storage has been failing a while). */
  readonly maxQueuedBytes: number;
  /** The same for one document, so one busy document cannot take the whole queue. */
  readonly maxQueuedBytesPerDoc: number;
  /** Most bytes of updates written in one transaction (one update is never split). */
  readonly maxBatchBytes: number;
}

export const DEFAULT_COMMITTER_LIMITS: CommitterLimits = {
  maxQueuedBytes: 256 * 1024 * 1024,
  maxQueuedBytesPerDoc: 64 * 1024 * 1024,
  maxBatchBytes: 8 * 1024 * 1024,
};

export interface CommitterOptions {
  readonly log: DocLog;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called with each document's share of a committed batch, in commit order. */
  readonly onCommitted: (docId: DocId, updates: readonly PendingUpdate[]) => void;
  readonly limits?: Partial<CommitterLimits>;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

/** Waits in a document's queue for everything queued before it to commit. */
class Barrier {
  constructor(readonly fire: () => void) {}
}

/** Updates are queued as they are, without a wrapper each: at 100k updates/s every object counts. */
type Entry = PendingUpdate | Barrier;

/** One document's queue: its order is the only order the committer must keep. */
interface DocQueue {
  entries: Entry[];
  bytes: number;
  /** Part of the transaction in flight. */
  inFlight: boolean;
  /** Last failed in a batch with other documents: commit alone until it succeeds once. */
  isolated: boolean;
  /** Failed alone: not tried again before this time (scheduler clock). */
  retryAt: number;
  retryDelay: number;
}

/**
 * Group commit (docs/PROTOCOL.md, rules D1–D4): updates accepted during one event-loop turn,
 * across documents, are written in one transaction, and nobody sees an update before that
 * transaction commits. While a commit is in flight, new updates gather for the next one, so
 * batches grow with load. Order is kept per document. A batch that fails is retried with each
 * of its documents alone, and a document that fails alone backs off by itself: one document
 * that storage rejects never holds up the others.
 */
export class Committer {
  private readonly queues = new Map<DocId, DocQueue>();
  private queuedBytes = 0;
  private inFlight = false;
  private scheduled = false;
  private cancelRetry: (() => void) | null = null;
  private drained: Array<() => void> = [];
  private readonly limits: CommitterLimits;

  constructor(private readonly options: CommitterOptions) {
    this.limits = { ...DEFAULT_COMMITTER_LIMITS, ...options.limits };
  }

  /** Whether an update of `bytes` would be accepted now for `docId`. */
  canAccept(docId: DocId, bytes: number): boolean {
    const docBytes = this.queues.get(docId)?.bytes ?? 0;
    // One update larger than a limit still gets in once nothing is queued ahead of it: its
    // sender resends the same update after every refusal, so refusing it then would refuse it
    // forever (found by the simulation, tests/sim/regressions.test.ts). Frames bound its size.
    const fitsDoc = docBytes === 0 || docBytes + bytes <= this.limits.maxQueuedBytesPerDoc;
    const fitsTotal = this.queuedBytes === 0 || this.queuedBytes + bytes <= this.limits.maxQueuedBytes;
    return fitsDoc && fitsTotal;
  }

  /** Queues an update; false (and nothing queued) when the backlog is full. */
  enqueue(pending: PendingUpdate): boolean {
    if (!this.canAccept(pending.docId, pending.update.length)) return false;
    const queue = this.queueOf(pending.docId);
    queue.entries.push(pending);
    queue.bytes += pending.update.length;
    this.queuedBytes += pending.update.length;
    this.schedule();
    return true;
  }

  /**
   * Calls `fire` once every update of `docId` queued so far is committed: at once when nothing
   * is waiting. A room answers a sync request through this, so nobody sees an update that a
   * crash could still take back.
   */
  whenCommitted(docId: DocId, fire: () => void): void {
    const queue = this.queues.get(docId);
    if (!queue || (queue.entries.length === 0 && !queue.inFlight)) return fire();
    queue.entries.push(new Barrier(fire));
  }

  /** Whether any update of `docId` is queued or being written. */
  hasPending(docId: DocId): boolean {
    return this.queues.has(docId);
  }

  /** Nothing queued or being written. */
  get idle(): boolean {
    return this.queues.size === 0 && !this.inFlight;
  }

  /** Resolves once everything queued so far is committed. */
  drain(): Promise<void> {
    if (this.queues.size === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Stops retrying (shutdown after a drain that could not finish). */
  stop(): void {
    this.cancelRetry?.();
    this.cancelRetry = null;
  }

  private queueOf(docId: DocId): DocQueue {
    let queue = this.queues.get(docId);
    if (!queue) {
      queue = { entries: [], bytes: 0, inFlight: false, isolated: false, retryAt: 0, retryDelay: FIRST_RETRY_MS };
      this.queues.set(docId, queue);
    }
    return queue;
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    this.options.scheduler.soon(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /** Picks what to write next: one isolated document alone if any is ready, else every ready document together. */
  private takeBatch(): Map<DocId, PendingUpdate[]> | null {
    const now = this.options.scheduler.now();
    const ready = [...this.queues].filter(([, queue]) => queue.retryAt <= now && queue.entries.some((e) => !(e instanceof Barrier)));
    const isolated = ready.find(([, queue]) => queue.isolated);
    const batch = new Map<DocId, PendingUpdate[]>();
    let bytes = 0;
    for (const [docId, queue] of isolated ? [isolated] : ready) {
      const taken: PendingUpdate[] = [];
      const { entries } = queue;
      let next = 0;
      for (; next < entries.length; next++) {
        const head = entries[next]!;
        if (head instanceof Barrier) {
          if (taken.length > 0) break;
          // Nothing before it is uncommitted any more.
          head.fire();
          continue;
        }
        const size = head.update.length;
        if (bytes > 0 && bytes + size > this.limits.maxBatchBytes) break;
        bytes += size;
        taken.push(head);
      }
      // One splice, not a shift per entry: a busy document's queue holds thousands.
      entries.splice(0, next);
      if (taken.length > 0) {
        batch.set(docId, taken);
        queue.inFlight = true;
      }
      if (bytes >= this.limits.maxBatchBytes) break;
    }
    return batch.size > 0 ? batch : null;
  }

  private run(): void {
    if (this.inFlight) return;
    const batch = this.takeBatch();
    if (!batch) return this.afterRun();
    this.inFlight = true;
    // A loop, not push(...updates): spreading a document's 100k updates overflows the stack.
    const entries: PendingUpdate[] = [];
    for (const updates of batch.values()) for (const pending of updates) entries.push(pending);
    const started = performance.now();
    this.options.log.append(entries).then(
      () => this.committed(batch, entries.length, performance.now() - started),
      (error: unknown) => this.failed(batch, error),
    );
  }

  private committed(batch: Map<DocId, PendingUpdate[]>, count: number, elapsedMs: number): void {
    const { metrics, logger } = this.options;
    metrics.storageLatency.observe(elapsedMs / 1000);
    metrics.storageBatchSize.observe(count);
    this.inFlight = false;
    for (const [docId, updates] of batch) {
      const queue = this.queues.get(docId)!;
      let bytes = 0;
      for (const p of updates) bytes += p.update.length;
      queue.bytes -= bytes;
      this.queuedBytes -= bytes;
      queue.inFlight = false;
      queue.isolated = false;
      queue.retryDelay = FIRST_RETRY_MS;
      try {
        this.options.onCommitted(docId, updates);
      } catch (error) {
        // The updates are durable whatever the room did with them; the log says what went wrong.
        logger.error({ docId, err: error }, 'relaying committed updates failed');
      }
      // Barriers that waited for exactly this batch.
      while (queue.entries[0] instanceof Barrier) (queue.entries.shift() as Barrier).fire();
      if (queue.entries.length === 0) this.queues.delete(docId);
    }
    this.afterRun();
  }

  private failed(batch: Map<DocId, PendingUpdate[]>, error: unknown): void {
    const { metrics, logger, scheduler } = this.options;
    metrics.storageErrors.inc({ op: 'append' });
    this.inFlight = false;
    const alone = batch.size === 1;
    for (const [docId, updates] of batch) {
      const queue = this.queues.get(docId)!;
      queue.entries = [...updates, ...queue.entries];
      queue.inFlight = false;
      if (alone) {
        logger.error({ docId, err: error, updates: updates.length, retryInMs: queue.retryDelay }, 'commit failed; keeping the updates and retrying');
        queue.retryAt = scheduler.now() + queue.retryDelay;
        queue.retryDelay = Math.min(queue.retryDelay * 2, MAX_RETRY_MS);
      } else {
        queue.isolated = true;
      }
    }
    if (!alone) logger.warn({ err: error, documents: batch.size }, 'commit failed; retrying each document alone');
    this.afterRun();
  }

  private afterRun(): void {
    if (this.queues.size === 0) {
      const waiting = this.drained;
      this.drained = [];
      for (const resolve of waiting) resolve();
      return;
    }
    const now = this.options.scheduler.now();
    let nextRetry = Infinity;
    let ready = false;
    for (const queue of this.queues.values()) {
      if (queue.retryAt <= now) ready = true;
      else nextRetry = Math.min(nextRetry, queue.retryAt);
    }
    if (ready) return this.schedule();
    if (nextRetry < Infinity && !this.cancelRetry) {
      this.cancelRetry = this.options.scheduler.after(nextRetry - now, () => {
        this.cancelRetry = null;
        this.schedule();
      });
    }
  }
}
