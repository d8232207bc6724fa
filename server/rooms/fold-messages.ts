import type { StoredDoc } from '../storage/doc-log';

/** Main thread to fold worker: fold this stored document into one snapshot. */
export interface FoldRequest {
  readonly id: number;
  readonly stored: StoredDoc;
}

/** Fold worker to main thread: the snapshot, and the entries `buildDoc` skipped. */
export type FoldResponse =
  | { readonly id: number; readonly ok: true; readonly snapshot: Uint8Array; readonly bad: Array<{ index: number; message: string }> }
  | { readonly id: number; readonly ok: false; readonly message: string };
