import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { Storage } from '../storage/storage';
import { buildDoc } from './room';

/** Compact once the log has grown past the snapshot and this floor (small logs load fast anyway). */
export const MIN_LOG_BYTES_TO_COMPACT = 64 * 1024;

export function shouldCompact(logBytes: number, snapshotBytes: number): boolean {
  return logBytes >= MIN_LOG_BYTES_TO_COMPACT && logBytes > snapshotBytes;
}

/**
 * Folds a document's log into a new snapshot. It rebuilds from storage, not from the room's
 * Y.Doc, so the snapshot covers exactly the entries it deletes, even when other server instances
 * append to the same log meanwhile. Applying to a Y.Doc and re-encoding is linear in the log;
 * `Y.mergeUpdates` is not (field note 3).
 */
export async function compactDoc(storage: Storage, docId: DocId): Promise<{ snapshotBytes: number; foldedBytes: number } | null> {
  const stored = await storage.loadDoc(docId);
  if (stored.updates.length === 0) return null;
  const doc = buildDoc(stored, () => {});
  const snapshot = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  const replaced = await storage.compact(docId, snapshot, stored.throughSeq);
  if (!replaced) return null;
  return { snapshotBytes: snapshot.length, foldedBytes: stored.updates.reduce((sum, u) => sum + u.length, 0) };
}
