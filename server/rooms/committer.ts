import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Storage } from '../storage/storage';
import type { DocId } from '../../lib/doc-id';
import type { Peer } from './peer';

/** An accepted update waiting to be committed, then applied and relayed by its room. */
export interface PendingUpdate {
  readonly docId: DocId;
  readonly origin: Peer;
  readonly update: Uint8Array;
  /** performance.now() when the frame arrived, for the fan-out latency metric. */
  readonly receivedAt: number;
}

export interface CommitterOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called with each committed batch, in commit order. */
  readonly onCommitted: (batch: readonly PendingUpdate[]) => void;
  /** Unsent bytes past which `enqueue` refuses (storage has been failing for a while). */
  readonly maxQueuedBytes?: number;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

/**
 * Group commit: every update accepted during one event-loop turn, across all documents, is
 * written in one transaction; nobody sees an update before that transaction commits. While a
 * commit is in flight, new updates gather for the next one, so batches grow with load. A failed
 * commit keeps its batch at the head of the queue and is retried with backoff, in order.
 */
export class Committer {
  private queue: PendingUpdate[] = [];
  private queuedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = FIRST_RETRY_MS;
  private drained: Array<() => void> = [];
  private readonly maxQueuedBytes: number;

  constructor(private readonly options: CommitterOptions) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 256 * 1024 * 1024;
  }

  /** Queues an update; false (and nothing queued) when the backlog is full. */
  enqueue(pending: PendingUpdate): boolean {
    if (this.queuedBytes + pending.update.length > this.maxQueuedBytes) return false;
    this.queue.push(pending);
    this.queuedBytes += pending.update.length;
    this.schedule();
    return true;
  }

  get idle(): boolean {
    return this.queue.length === 0 && this.inFlight === null;
  }

  /** Resolves once everything queued so far is committed (or the queue is empty). */
  drain(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.retryTimer) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    const started = performance.now();
    this.inFlight = this.options.storage.appendUpdates(batch).then(
      () => {
        const { metrics } = this.options;
        metrics.storageLatency.observe((performance.now() - started) / 1000);
        metrics.storageBatchSize.observe(batch.length);
        let bytes = 0;
        for (const p of batch) bytes += p.update.length;
        this.queuedBytes -= bytes;
        this.retryDelay = FIRST_RETRY_MS;
        this.inFlight = null;
        this.options.onCommitted(batch);
        this.afterRun();
      },
      (error: unknown) => {
        this.options.metrics.storageErrors.inc({ op: 'append' });
        this.options.logger.error({ err: error, updates: batch.length, retryInMs: this.retryDelay }, 'commit failed; keeping the updates and retrying');
        this.queue = batch.concat(this.queue);
        this.inFlight = null;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.run();
          this.afterRun();
        }, this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
      },
    );
  }

  private afterRun(): void {
    if (this.queue.length > 0) {
      this.schedule();
    } else if (this.idle) {
      const waiting = this.drained;
      this.drained = [];
      for (const resolve of waiting) resolve();
    }
  }

  /** Stops retrying (shutdown after a drain that could not finish). */
  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
