import * as prng from 'lib0/prng';
import type { DocId } from '../../lib/doc-id';
import type { DocLog, UpdateEntry } from '../../server/storage/doc-log';
import type { LinkStore } from '../../server/storage/link-store';
import type { MemoryDatabase } from './memory-storage';
import type { SimScheduler, TaskOwner } from './sim-scheduler';

/** How a simulated database misbehaves; rates are per operation. */
export interface StorageFaults {
  appendFail: number;
  loadFail: number;
  compactFail: number;
  /** An append that commits but reports failure (the connection broke after COMMIT): it is retried, so the log holds it twice. */
  ambiguousAppend: number;
  /** An operation that takes seconds instead of milliseconds. */
  stall: number;
  maxLatencyMs: number;
  maxStallMs: number;
}

export const HEALTHY_STORAGE: StorageFaults = { appendFail: 0, loadFail: 0, compactFail: 0, ambiguousAppend: 0, stall: 0, maxLatencyMs: 5, maxStallMs: 0 };

/** An injected storage failure (expected in logs), as opposed to anything else (a bug). */
export class SimFault extends Error {
  constructor(what: string) {
    super(`simulated fault: ${what}`);
    this.name = 'SimFault';
  }
}

/** An operation on storage that the server already closed (rule D8 says shutdown never leaves one behind). */
export class StorageClosed extends Error {
  constructor(what: string) {
    super(`storage closed: ${what}`);
    this.name = 'StorageClosed';
  }
}

type OpKind = 'append' | 'load' | 'compact' | 'remove' | 'link';

interface PendingOp {
  readonly kind: OpKind;
  readonly docId: DocId | null;
  /** Applies the operation to the database (its commit point). */
  readonly apply: () => unknown;
  /** Tells the observer, after `apply`. */
  readonly applied: () => void;
  readonly reject: (error: Error) => void;
}

/** What the world hears from storage, for traces, coverage and the durable mirror. */
export interface StorageObserver {
  begin(kind: OpKind, docId: DocId | null): void;
  appended(entries: readonly UpdateEntry[], outcome: 'ok' | 'failed' | 'ambiguous' | 'crash'): void;
  compacted(docId: DocId, throughSeq: number, applied: boolean, racedEntries: number): void;
  loadFailed(docId: DocId): void;
}

/**
 * One server instance's connection to the shared in-memory database. Every call completes in a
 * task of the virtual scheduler after a seeded latency, or fails, or stalls, as `faults` says.
 * `crash()` is a killed process: calls in flight never answer, and each append or compaction
 * that reached its commit point (a coin flip) is kept, the rest lost. `close()` is a clean
 * shutdown: calls in flight and later ones reject with StorageClosed.
 */
export class SimStorage {
  readonly log: DocLog;
  readonly links: LinkStore;
  private readonly pending = new Set<PendingOp>();
  private state: 'open' | 'crashed' | 'closed' = 'open';

  constructor(
    private readonly db: MemoryDatabase,
    private readonly scheduler: SimScheduler,
    private readonly gen: prng.PRNG,
    private readonly owner: TaskOwner,
    private readonly faults: () => StorageFaults,
    private readonly observer: StorageObserver,
  ) {
    this.log = {
      append: (entries) =>
        this.op('append', entries[0]?.docId ?? null, () => this.faults().appendFail, () => db.append(entries), {
          onApplied: () => observer.appended(entries, 'ok'),
          onCrashApplied: () => observer.appended(entries, 'crash'),
          onFailed: () => observer.appended(entries, 'failed'),
          ambiguous: () => {
            db.append(entries);
            observer.appended(entries, 'ambiguous');
          },
        }),
      load: (docId) => this.op('load', docId, () => this.faults().loadFail, () => db.load(docId), { onFailed: () => observer.loadFailed(docId) }),
      compact: (docId, snapshot, throughSeq, stateVector) =>
        this.op('compact', docId, () => this.faults().compactFail, () => {
          const raced = db.entriesAfter(docId, throughSeq);
          const applied = db.compact(docId, snapshot, throughSeq, stateVector);
          observer.compacted(docId, throughSeq, applied, raced);
          return applied;
        }),
      remove: (docId) => this.op('remove', docId, () => 0, () => db.remove(docId)),
    };
    this.links = {
      createDoc: (docId, owner) => this.op('link', docId, () => 0, () => db.createDoc(docId, owner)),
      deleteDoc: (docId) => this.op('link', docId, () => 0, () => db.deleteDoc(docId)),
      addLink: (link) => this.op('link', link.docId, () => 0, () => db.addLink(link)),
      findLink: (docId, keyHash) => this.op('link', docId, () => this.faults().loadFail / 4, () => db.findLink(docId, keyHash)),
      listLinks: (docId) => this.op('link', docId, () => this.faults().loadFail, () => db.listLinks(docId)),
      revokeLink: (docId, linkId, at) => this.op('link', docId, () => 0, () => db.revokeLink(docId, linkId, at)),
    };
  }

  /** Operations of this kind begun and not yet answered. */
  pendingCount(kind?: OpKind): number {
    let count = 0;
    for (const op of this.pending) if (!kind || op.kind === kind) count++;
    return count;
  }

  /** The process died: nothing answers again; appends and compactions in flight land or not, by a coin flip each. */
  crash(): void {
    if (this.state !== 'open') return;
    this.state = 'crashed';
    for (const op of this.pending) {
      if ((op.kind === 'append' || op.kind === 'compact') && prng.bool(this.gen)) {
        op.apply();
        op.applied();
      }
    }
    this.pending.clear();
  }

  /** A clean close after shutdown: whatever is still in flight fails. */
  close(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    const left = [...this.pending];
    this.pending.clear();
    for (const op of left) op.reject(new StorageClosed(op.kind));
  }

  private op<T>(
    kind: OpKind,
    docId: DocId | null,
    failRate: () => number,
    apply: () => T,
    hooks: { onApplied?: () => void; onCrashApplied?: () => void; onFailed?: () => void; ambiguous?: () => void } = {},
  ): Promise<T> {
    if (this.state === 'closed') return Promise.reject(new StorageClosed(kind));
    if (this.state === 'crashed') return new Promise<T>(() => {});
    this.observer.begin(kind, docId);
    const faults = this.faults();
    const stalled = faults.stall > 0 && prng.real53(this.gen) < faults.stall;
    const latency = stalled ? prng.int32(this.gen, faults.maxLatencyMs, faults.maxStallMs) : prng.int32(this.gen, 0, faults.maxLatencyMs);
    return new Promise<T>((resolve, reject) => {
      const op: PendingOp = { kind, docId, apply, applied: () => hooks.onCrashApplied?.(), reject };
      this.pending.add(op);
      this.scheduler.at(latency, this.owner, `storage ${kind}`, () => {
        if (!this.pending.delete(op)) return;
        // Decided when the operation completes, so a storm that starts meanwhile hits it.
        const current = this.faults();
        if (kind === 'append' && hooks.ambiguous && current.ambiguousAppend > 0 && prng.real53(this.gen) < current.ambiguousAppend) {
          hooks.ambiguous();
          return reject(new SimFault('the commit landed but its answer was lost'));
        }
        if (prng.real53(this.gen) < failRate()) {
          hooks.onFailed?.();
          return reject(new SimFault(`${kind} failed`));
        }
        let result: T;
        try {
          result = apply();
        } catch (error) {
          return reject(error as Error);
        }
        hooks.onApplied?.();
        resolve(result);
      });
    });
  }
}
