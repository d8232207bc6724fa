/**
 * Returns the memory of unloaded documents to the system once the unloading has settled. V8
 * collects its old generation only when something allocates, so a server that closed thousands
 * of documents and went quiet kept all of it: measured, 1,000 documents closed left the heap at
 * 40 MB for as long as we watched, and one full collection brought it back to the 16 MB it had
 * before they opened. So after many unloads and a quiet spell, one full collection runs (when
 * Node.js was started with `--expose-gc`, as `npm start` and `npm run server` do).
 *
 * That collection compacts. A plain full collection frees the dead objects but moves only a few
 * pages, and what the closed documents leave behind is scattered: measured with 3,000 documents
 * closed, the heap held 35 MB of live objects in 105 MB of pages (half of the RSS growth kept);
 * compacting brought the pages down to 44 MB. It costs more pause (it copies the live objects):
 * about 0.2 to 0.5 s on that heap instead of 0.15 to 0.2 s, once per burst of unloads.
 */
import v8 from 'node:v8';
import type { Scheduler } from '../scheduler';

/** Unloads since the last collection that make one worth its pause (a few tens of ms). */
export const UNLOADS_BEFORE_COLLECTING = 200;
/** Quiet time after the last unload before collecting. */
export const QUIET_MS = 2_000;

export class MemoryReclaimer {
  private unloads = 0;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly scheduler: Scheduler,
    /** A full collection; null when Node.js offers none. */
    private readonly collect: (() => void) | null = compactingCollection(),
  ) {}

  /** A document was unloaded. */
  unloaded(): void {
    if (!this.collect) return;
    this.unloads += 1;
    if (this.unloads < UNLOADS_BEFORE_COLLECTING) return;
    this.cancel?.();
    this.cancel = this.scheduler.after(QUIET_MS, () => {
      this.cancel = null;
      this.unloads = 0;
      this.collect?.();
    });
  }

  stop(): void {
    this.cancel?.();
    this.cancel = null;
  }
}

/**
 * A full collection that compacts every fragmented page, or null without `--expose-gc`. V8 reads
 * the flag at each collection, so it is on for this one only.
 */
export function compactingCollection(): (() => void) | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return null;
  return () => {
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}
