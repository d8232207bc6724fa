import * as Y from 'yjs';
import type { StoredDoc } from '../storage/doc-log';
import { newReplicaDoc } from './replica-doc';

/** Index of the snapshot when it is the entry that failed (log entries count from 0). */
export const SNAPSHOT_INDEX = -1;

/** Stored entries applied in one Yjs transaction when building a document. */
const ENTRIES_PER_TRANSACTION = 1_000;

/**
 * Applies a stored document to a fresh replica Y.Doc (one that never tidies formatting on its
 * own, rule D11), skipping (and reporting) entries that fail to integrate (docs/PROTOCOL.md,
 * rule D6). A Yjs failure can surface from the end of a transaction and can leave the document
 * half-applied; so if the fast path throws, the document is rebuilt one entry at a time from a
 * fresh Y.Doc, and each entry that throws is dropped and the good ones re-applied to another
 * fresh Y.Doc.
 */
export function buildDoc(stored: StoredDoc, onBadEntry: (index: number, error: unknown) => void): Y.Doc {
  const entries = stored.snapshot ? [stored.snapshot, ...stored.updates] : [...stored.updates];
  const offset = stored.snapshot ? 1 : 0;
  const fast = newReplicaDoc();
  try {
    // Entries are applied a batch per transaction: a transaction's end (merging, cleanup, events)
    // costs more than integrating one small update, so a 260k-update log builds twice as fast.
    // Since a replica Y.Doc never tidies formatting (rule D11), the grouping does not change the
    // result; it did before (seeds 10672 and 6315 in tests/sim/regressions.test.ts).
    for (let start = 0; start < entries.length; start += ENTRIES_PER_TRANSACTION) {
      const batch = entries.slice(start, start + ENTRIES_PER_TRANSACTION);
      Y.transact(fast, () => {
        for (const entry of batch) Y.applyUpdate(fast, entry);
      }, null, false);
    }
    return fast;
  } catch {
    fast.destroy();
  }
  const good: Uint8Array[] = [];
  let doc = newReplicaDoc();
  entries.forEach((entry, index) => {
    try {
      Y.applyUpdate(doc, entry);
      good.push(entry);
    } catch (error) {
      onBadEntry(index - offset, error);
      doc.destroy();
      doc = newReplicaDoc();
      // One transaction each, as when they were first found good.
      for (const update of good) Y.applyUpdate(doc, update);
    }
  });
  return doc;
}
