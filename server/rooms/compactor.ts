import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { DocLog, StoredDoc } from '../storage/doc-log';
import { buildDoc } from './build-doc';
import type { DocFolder } from './doc-folder';

/** Compact once the log has grown past the snapshot and this floor (small logs load fast anyway). */
export const MIN_LOG_BYTES_TO_COMPACT = 64 * 1024;

export function shouldCompact(logBytes: number, snapshotBytes: number, minLogBytes = MIN_LOG_BYTES_TO_COMPACT): boolean {
  return logBytes >= minLogBytes && logBytes > snapshotBytes;
}

export interface CompactorOptions {
  readonly log: DocLog;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Builds and encodes the snapshot in the fold process, off the event loop. */
  readonly folder: DocFolder;
  /** Called when a compaction of `docId` has finished, whatever its outcome (its room may now unload). */
  readonly onSettled: (docId: DocId) => void;
  /** The floor below which a log is never compacted (default MIN_LOG_BYTES_TO_COMPACT; the simulation lowers it). */
  readonly minLogBytes?: number;
}

interface LogSize {
  logBytes: number;
  snapshotBytes: number;
}

/**
 * Decides when a loaded document's log is folded into a snapshot, and owns every compaction in
 * flight (docs/PROTOCOL.md, rules D7, D8). A compaction rebuilds from storage, not from the room's
 * Y.Doc (which may hold updates not yet committed), so the snapshot covers exactly the entries it
 * deletes, even when other instances append meanwhile. Applying to a Y.Doc and re-encoding is
 * linear in the log; `Y.mergeUpdates` is not (over 250k single-character updates it runs for
 * minutes).
 */
export class Compactor {
  private readonly sizes = new Map<DocId, LogSize>();
  private readonly running = new Map<DocId, Promise<void>>();

  constructor(private readonly options: CompactorOptions) {}

  /** Starts tracking a document that was just loaded. */
  track(docId: DocId, stored: StoredDoc): void {
    let logBytes = 0;
    for (const update of stored.updates) logBytes += update.length;
    this.sizes.set(docId, { logBytes, snapshotBytes: stored.snapshot?.length ?? 0 });
  }

  /** Stops tracking an unloaded document (a compaction in flight still finishes). */
  forget(docId: DocId): void {
    this.sizes.delete(docId);
  }

  isBusy(docId: DocId): boolean {
    return this.running.has(docId);
  }

  /** Commits made the log longer: compact from storage if it has outgrown its snapshot. */
  grew(docId: DocId, bytes: number): void {
    const size = this.sizes.get(docId);
    if (!size) return;
    size.logBytes += bytes;
    if (this.running.has(docId) || !shouldCompact(size.logBytes, size.snapshotBytes, this.options.minLogBytes)) return;
    this.start(docId, async () => {
      const fold = await this.options.folder.loadAndFoldAlways(docId, this.options.log);
      if (fold.foldedUpdates === 0) return null;
      return { snapshot: fold.snapshot, stateVector: fold.stateVector, throughSeq: fold.throughSeq, folded: fold.foldedBytes };
    });
  }

  /**
   * A room just built `doc` from storage alone, through `throughSeq`: a long log can be folded
   * from it without reading and building it a second time.
   */
  built(docId: DocId, doc: Y.Doc, throughSeq: number): void {
    const size = this.sizes.get(docId);
    if (!size || this.running.has(docId) || !shouldCompact(size.logBytes, size.snapshotBytes, this.options.minLogBytes)) return;
    const snapshot = Y.encodeStateAsUpdate(doc);
    const stateVector = Y.encodeStateVector(doc);
    const folded = size.logBytes;
    this.start(docId, async () => ({ snapshot, stateVector, throughSeq, folded }));
  }

  /** No compaction in flight. */
  get idle(): boolean {
    return this.running.size === 0;
  }

  /**
   * The registry had a long log folded in the fold process when it loaded the document: store that
   * snapshot, through `throughSeq`, if the log (`foldedBytes`) has outgrown the stored snapshot.
   */
  folded(docId: DocId, snapshot: Uint8Array, stateVector: Uint8Array, throughSeq: number, foldedBytes: number, storedSnapshotBytes: number): void {
    const size = this.sizes.get(docId);
    if (!size || this.running.has(docId)) return;
    // `track` saw the folded document, with no log; the stored log is still there until compacted.
    size.logBytes += foldedBytes;
    if (!shouldCompact(size.logBytes, storedSnapshotBytes, this.options.minLogBytes)) return;
    this.start(docId, async () => ({ snapshot, stateVector, throughSeq, folded: foldedBytes }));
  }

  /** Resolves once every compaction in flight has finished (shutdown waits for this). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Stores what `prepare` built: a snapshot, its state vector (stored beside it), and the log bytes it folded. */
  private start(
    docId: DocId,
    prepare: () => Promise<{ snapshot: Uint8Array; stateVector: Uint8Array; throughSeq: number; folded: number } | null>,
  ): void {
    const { log, logger, metrics } = this.options;
    const run = (async () => {
      try {
        const prepared = await prepare();
        if (!prepared) return;
        if (!(await log.compact(docId, prepared.snapshot, prepared.throughSeq, prepared.stateVector))) return;
        metrics.compactions.inc();
        const size = this.sizes.get(docId);
        if (size) {
          size.snapshotBytes = prepared.snapshot.length;
          size.logBytes = Math.max(0, size.logBytes - prepared.folded);
        }
        logger.debug({ docId, snapshotBytes: prepared.snapshot.length, foldedBytes: prepared.folded }, 'compacted');
      } catch (error) {
        metrics.storageErrors.inc({ op: 'compact' });
        logger.error({ docId, err: error }, 'compaction failed; the log is kept');
      }
    })();
    this.running.set(docId, run);
    void run.finally(() => {
      this.running.delete(docId);
      try {
        this.options.onSettled(docId);
      } catch (error) {
        logger.error({ docId, err: error }, 'after a compaction');
      }
    });
  }
}
