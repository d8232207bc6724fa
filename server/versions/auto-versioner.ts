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
  /** Takes an automatic version of the document's committed state, naming who took part. */
  readonly take: (docId: DocId, authors: string[]) => Promise<unknown>;
}

/** Changes not yet in a version. */
interface Unversioned {
  readonly since: number;
  readonly authors: Set<string>;
  cancelPause: Cancel;
}

/**
 * Decides when each document gets an automatic version: after a pause in editing, at most
 * `maxIntervalMs` apart while people keep typing, and when the document unloads (its last
 * connection left); never when nothing changed since the last version. Owns the takes in flight.
 */
export class AutoVersioner {
  private readonly unversioned = new Map<DocId, Unversioned>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: AutoVersionerOptions) {}

  /** The document changed (committed), by people with these names. */
  changed(docId: DocId, authors: Iterable<string>): void {
    const { scheduler, policy } = this.options;
    const now = scheduler.now();
    let entry = this.unversioned.get(docId);
    if (entry) entry.cancelPause();
    else {
      entry = { since: now, authors: new Set(), cancelPause: () => {} };
      this.unversioned.set(docId, entry);
    }
    for (const name of authors) entry.authors.add(name);
    if (now - entry.since >= policy.maxIntervalMs) return this.takeNow(docId);
    entry.cancelPause = scheduler.after(policy.pauseMs, () => this.takeNow(docId));
  }

  /** Forgets the document's unversioned changes and returns who made them: a version is being taken another way. */
  claim(docId: DocId): string[] {
    const entry = this.unversioned.get(docId);
    if (!entry) return [];
    entry.cancelPause();
    this.unversioned.delete(docId);
    return [...entry.authors];
  }

  hasUnversioned(docId: DocId): boolean {
    return this.unversioned.has(docId);
  }

  /** Takes the version now if anything changed since the last one (the document is unloading). */
  takeNow(docId: DocId): void {
    const entry = this.unversioned.get(docId);
    if (!entry) return;
    entry.cancelPause();
    this.unversioned.delete(docId);
    const run = this.options
      .take(docId, [...entry.authors])
      .then(() => {})
      .catch((error: unknown) => this.options.logger.error({ docId, err: error }, 'could not take an automatic version'));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Takes every pending version and waits for every take in flight (shutdown). */
  async drain(): Promise<void> {
    for (const docId of [...this.unversioned.keys()]) this.takeNow(docId);
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
