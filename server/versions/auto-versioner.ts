import type { DocId } from '../../lib/doc-id';
import type { Logger } from '../logger';
import type { Cancel, Scheduler } from '../scheduler';

/** When automatic versions are taken (rule V3). */
export interface AutoVersionPolicy {
  /** A version is taken once nobody has changed the document for this long. */
  readonly pauseMs: number;
  /** While people keep typing, a version is taken once the oldest unversioned change is this old. */
  readonly maxIntervalMs: number;
}

export const DEFAULT_AUTO_VERSION_POLICY: AutoVersionPolicy = { pauseMs: 30_000, maxIntervalMs: 5 * 60_000 };

export interface AutoVersionerOptions {
  readonly scheduler: Scheduler;
  readonly policy: AutoVersionPolicy;
  readonly logger: Logger;
  /**
   * Takes an automatic version of the document's committed state, naming who took part; `state`
   * is that state when the caller has it at hand (else it is read from the rooms).
   */
  readonly take: (docId: DocId, authors: string[], state?: Uint8Array) => Promise<unknown>;
}

/** Changes not yet in a version. */
interface Unversioned {
  readonly since: number;
  /** When the pause after the latest change ends (scheduler clock). */
  pauseEndsAt: number;
  /** Null until a change names someone. */
  authors: Set<string> | null;
}

/**
 * Decides when each document gets an automatic version: after a pause in editing, at most
 * `maxIntervalMs` apart while people keep typing, and when the document unloads (its last
 * connection left); never when nothing changed since the last version. Owns the takes in flight.
 *
 * One timer serves every document, not one each (a server holds thousands of open documents
 * that changed in the last pause): `unversioned` is kept in the order the pauses end, since every
 * change moves its document to the end and each pause lasts the same `pauseMs`, and the timer is
 * armed for the first of them.
 */
export class AutoVersioner {
  private readonly unversioned = new Map<DocId, Unversioned>();
  private readonly running = new Set<Promise<void>>();
  private cancelTimer: Cancel | null = null;

  constructor(private readonly options: AutoVersionerOptions) {}

  /** The document changed (committed), by people with these names. */
  changed(docId: DocId, authors: Iterable<string>): void {
    const { scheduler, policy } = this.options;
    const now = scheduler.now();
    let entry = this.unversioned.get(docId);
    // Taken out and put back below, at the end: its pause now ends last.
    if (entry) this.unversioned.delete(docId);
    else entry = { since: now, pauseEndsAt: now, authors: null };
    for (const name of authors) (entry.authors ??= new Set()).add(name);
    entry.pauseEndsAt = now + policy.pauseMs;
    this.unversioned.set(docId, entry);
    if (now - entry.since >= policy.maxIntervalMs) return this.takeNow(docId);
    // An armed timer is due no later than this pause's end: it re-arms itself for what is left.
    if (!this.cancelTimer) this.armTimer(now);
  }

  /** Forgets the document's unversioned changes and returns who made them: a version is being taken another way. */
  claim(docId: DocId): string[] {
    const entry = this.unversioned.get(docId);
    if (!entry) return [];
    this.unversioned.delete(docId);
    return entry.authors ? [...entry.authors] : [];
  }

  hasUnversioned(docId: DocId): boolean {
    return this.unversioned.has(docId);
  }

  /**
   * Takes the version now if anything changed since the last one (the document is unloading:
   * `stateNow` gives its committed state, read only if a version is due).
   */
  takeNow(docId: DocId, stateNow?: () => Uint8Array): void {
    const entry = this.unversioned.get(docId);
    if (!entry) return;
    this.unversioned.delete(docId);
    const authors = entry.authors ? [...entry.authors] : [];
    // Called at once (the room is about to go); a throw becomes a rejection, logged below.
    const run = (async () => this.options.take(docId, authors, stateNow?.()))()
      .then(() => {})
      .catch((error: unknown) => this.options.logger.error({ docId, err: error }, 'could not take an automatic version'));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Arms the timer for the first pause to end, if any document is waiting for one. */
  private armTimer(now: number): void {
    const first = this.unversioned.values().next();
    if (first.done) return;
    this.cancelTimer = this.options.scheduler.after(Math.max(0, first.value.pauseEndsAt - now), () => this.pauseEnded());
  }

  /** Takes the version of every document whose pause has ended, in the order the pauses ended. */
  private pauseEnded(): void {
    this.cancelTimer = null;
    const now = this.options.scheduler.now();
    for (const [docId, entry] of this.unversioned) {
      if (entry.pauseEndsAt > now) break;
      this.takeNow(docId);
    }
    if (!this.cancelTimer) this.armTimer(now);
  }

  /** Takes every pending version and waits for every take in flight (shutdown). */
  async drain(): Promise<void> {
    for (const docId of [...this.unversioned.keys()]) this.takeNow(docId);
    this.cancelTimer?.();
    this.cancelTimer = null;
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
