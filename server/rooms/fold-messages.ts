import type { DocId } from '../../lib/doc-id';
import type { StoredDoc } from '../storage/doc-log';

/**
 * Main thread to fold worker: fold a stored document into one snapshot. Either the document
 * travels with the request (packed), or the worker reads it from the SQLite file itself.
 *
 * A packed log travels in one buffer that is transferred, not copied: structured cloning each
 * update would copy the whole pooled ArrayBuffer behind every small Buffer SQLite returns
 * (8 KiB each).
 */
export type FoldRequest =
  | {
      readonly id: number;
      readonly kind: 'fold';
      readonly snapshot: Uint8Array | null;
      /** uint32 count, then each update as uint32 length and bytes (big-endian). */
      readonly packedUpdates: Uint8Array;
      readonly throughSeq: number;
    }
  | { readonly id: number; readonly kind: 'read-and-fold'; readonly sqliteFile: string; readonly docId: DocId }
  | { readonly id: number; readonly kind: 'state-vector'; readonly snapshot: Uint8Array };

/** What a fold made of a stored document. */
export interface FoldResult {
  readonly snapshot: Uint8Array;
  /** `Y.encodeStateVector` of the folded document. */
  readonly stateVector: Uint8Array;
  readonly throughSeq: number;
  /** Entries `buildDoc` skipped (index into the log, or -1 for the snapshot). */
  readonly bad: ReadonlyArray<{ index: number; message: string }>;
  /** Log entries folded, their bytes, and the bytes of the snapshot stored before them. */
  readonly foldedUpdates: number;
  readonly foldedBytes: number;
  readonly storedSnapshotBytes: number;
}

/** Fold worker to main thread: a fold, a state vector, or why not. */
export type FoldResponse =
  | ({ readonly id: number; readonly ok: true } & FoldResult)
  | { readonly id: number; readonly ok: true; readonly stateVector: Uint8Array; readonly snapshot?: undefined }
  | { readonly id: number; readonly ok: false; readonly message: string };

/**
 * Bytes of their own, to transfer to the worker (which detaches them here). A copy, never
 * `slice()`: SQLite hands blobs out as Buffers, whose `slice()` shares memory, so transferring it
 * would detach the caller's bytes (a room's stored snapshot) as well.
 */
export function transferableCopy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** The request for `stored`, and the buffers to transfer with it. */
export function packFoldRequest(id: number, stored: StoredDoc): { request: FoldRequest; transfer: ArrayBuffer[] } {
  // One allocation of the exact size (lib0's growing encoder copied 260k updates several times).
  let size = 0;
  for (const update of stored.updates) size += update.length;
  const packedUpdates = new Uint8Array(4 + 4 * stored.updates.length + size);
  const view = new DataView(packedUpdates.buffer);
  view.setUint32(0, stored.updates.length);
  let offset = 4;
  for (const update of stored.updates) {
    view.setUint32(offset, update.length);
    packedUpdates.set(update, offset + 4);
    offset += 4 + update.length;
  }
  const snapshot = stored.snapshot ? transferableCopy(stored.snapshot) : null;
  const transfer = [packedUpdates.buffer as ArrayBuffer];
  if (snapshot) transfer.push(snapshot.buffer as ArrayBuffer);
  return { request: { id, kind: 'fold', snapshot, packedUpdates, throughSeq: stored.throughSeq }, transfer };
}

export function unpackFoldRequest(request: Extract<FoldRequest, { kind: 'fold' }>): StoredDoc {
  const packed = request.packedUpdates;
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const count = view.getUint32(0);
  const updates: Uint8Array[] = new Array(count);
  let offset = 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(offset);
    updates[i] = packed.subarray(offset + 4, offset + 4 + length);
    offset += 4 + length;
  }
  return { snapshot: request.snapshot, updates, throughSeq: request.throughSeq };
}
