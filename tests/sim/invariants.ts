import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { buildDoc } from '../../server/rooms/build-doc';
import { newReplicaDoc } from '../../server/rooms/replica-doc';
import { visibleContent } from './edits';
import type { MemoryDatabase } from './memory-storage';

/** A document as a fresh process would load it from what the database holds now. */
export function coldLoad(db: MemoryDatabase, docId: DocId, onBadEntry: (index: number) => void = () => {}): Y.Doc {
  return buildDoc(db.load(docId), (index) => onBadEntry(index));
}

function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/** Null when the two replicas hold the same history and show the same content; otherwise how they differ (rule I1). */
export function difference(a: Y.Doc, b: Y.Doc): string | null {
  if (hasPending(a) || hasPending(b)) return 'a replica holds structs it cannot integrate';
  const svA = Buffer.from(Y.encodeStateVector(a)).toString('hex');
  const svB = Buffer.from(Y.encodeStateVector(b)).toString('hex');
  if (svA !== svB) return `state vectors differ: ${svA} vs ${svB}`;
  if (!Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b))) return 'delete sets differ';
  const contentA = visibleContent(a);
  const contentB = visibleContent(b);
  if (contentA !== contentB) return `content differs: ${contentA.slice(0, 200)} vs ${contentB.slice(0, 200)}`;
  return null;
}

/** Whether `outer` holds everything `inner` holds: adding `inner` to it changes nothing (rule I2). */
export function contains(outer: Y.Doc, inner: Y.Doc): boolean {
  const merged = newReplicaDoc();
  try {
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(outer));
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(inner));
    return !hasPending(merged) && Y.equalSnapshots(Y.snapshot(merged), Y.snapshot(outer));
  } finally {
    merged.destroy();
  }
}

/** Whether every clock a "saved" acknowledgement claims is in `durable` (rule D2). */
export function coversStateVector(durable: Y.Doc, encodedStateVector: Uint8Array): boolean {
  for (const [client, clock] of Y.decodeStateVector(encodedStateVector)) {
    if (Y.getState(durable.store, client) < clock) return false;
  }
  return true;
}

/** Whether anything written by `clientId` is in `doc` (rule I3: a view key's edits never land). */
export function holdsAnythingOf(doc: Y.Doc, clientId: number): boolean {
  return Y.getState(doc.store, clientId) > 0;
}
