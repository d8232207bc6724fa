import type { DocId } from '../../lib/doc-id';
import type { StoredDoc } from '../storage/doc-log';

/**
 * Server to fold process: fold a stored document into one snapshot. Either the document travels
 * with the request (packed), or the fold process reads it from the SQLite file itself.
 *
 * A packed log travels as one buffer: serializing 260k small updates one by one costs the
 * event loop a header and a call each.
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

/** Fold process to server: a fold, a state vector, or why not. */
export type FoldResponse =
  | ({ readonly id: number; readonly ok: true } & FoldResult)
  | { readonly id: number; readonly ok: true; readonly stateVector: Uint8Array; readonly snapshot?: undefined }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The request for `stored`, its log packed into one buffer. */
export function packFoldRequest(id: number, stored: StoredDoc): FoldRequest {
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
  return { id, kind: 'fold', snapshot: stored.snapshot, packedUpdates, throughSeq: stored.throughSeq };
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
