import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { StoredDoc } from '../storage/doc-log';

/**
 * Main thread to fold worker: fold this stored document into one snapshot. The log travels
 * packed in one buffer that is transferred, not copied: structured cloning each update would
 * copy the whole pooled ArrayBuffer behind every small Buffer SQLite returns (8 KiB each).
 */
export interface FoldRequest {
  readonly id: number;
  readonly snapshot: Uint8Array | null;
  /** varUint count, then each update as varUint8Array. */
  readonly packedUpdates: Uint8Array;
  readonly throughSeq: number;
}

/** Fold worker to main thread: the snapshot, and the entries `buildDoc` skipped. */
export type FoldResponse =
  | { readonly id: number; readonly ok: true; readonly snapshot: Uint8Array; readonly bad: Array<{ index: number; message: string }> }
  | { readonly id: number; readonly ok: false; readonly message: string };

/** The request for `stored`, and the buffers to transfer with it. */
export function packFoldRequest(id: number, stored: StoredDoc): { request: FoldRequest; transfer: ArrayBuffer[] } {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, stored.updates.length);
  for (const update of stored.updates) encoding.writeVarUint8Array(encoder, update);
  const packedUpdates = encoding.toUint8Array(encoder);
  const snapshot = stored.snapshot ? stored.snapshot.slice() : null;
  const transfer = [packedUpdates.buffer as ArrayBuffer];
  if (snapshot) transfer.push(snapshot.buffer as ArrayBuffer);
  return { request: { id, snapshot, packedUpdates, throughSeq: stored.throughSeq }, transfer };
}

export function unpackFoldRequest(request: FoldRequest): StoredDoc {
  const decoder = decoding.createDecoder(request.packedUpdates);
  const count = decoding.readVarUint(decoder);
  const updates: Uint8Array[] = new Array(count);
  for (let i = 0; i < count; i++) updates[i] = decoding.readVarUint8Array(decoder);
  return { snapshot: request.snapshot, updates, throughSeq: request.throughSeq };
}
