/**
 * Folds long stored documents into one snapshot in a worker thread, so building a big document
 * (a load, a rebuild, a compaction) never stalls the event loop that relays every other
 * document. Applying 260k updates takes about a second; a SQLite log that long is also read by
 * the worker itself (reading it here took another second of the event loop's time). Short logs
 * are returned as they are: a trip to the worker would cost more than building them here.
 */
import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { DocLog, StoredDoc } from '../storage/doc-log';
import { buildDoc } from './build-doc';
import type { FoldRequest, FoldResponse, FoldResult } from './fold-messages';
import { packFoldRequest, transferableCopy } from './fold-messages';

/** Logs at least this long (entries after the snapshot) are folded in the worker. */
export const MIN_UPDATES_TO_FOLD = 2_000;
/** Snapshots at least this big have their state vector read in the worker (about 10 ms for 200 KiB). */
const MIN_SNAPSHOT_BYTES_TO_READ_ELSEWHERE = 64 * 1024;

export interface FoldedDoc {
  /** The stored document, its log folded into the snapshot when it was long. */
  readonly stored: StoredDoc;
  /** Entries that did not integrate (index into the log, or -1 for the snapshot), already left out. */
  readonly bad: FoldResult['bad'];
  /** `Y.encodeStateVector` of the document, when the fold has it (a folded document has no log). */
  readonly stateVector: Uint8Array | null;
  /** What was folded, when a log was: its bytes, and those of the snapshot stored before it. */
  readonly folded: { readonly bytes: number; readonly storedSnapshotBytes: number } | null;
}

/** Folds here, on the calling thread, exactly as the worker does (the worker runs this). */
export function foldHere(stored: StoredDoc): FoldResult {
  const bad: Array<{ index: number; message: string }> = [];
  const doc = buildDoc(stored, (index, error) => bad.push({ index, message: error instanceof Error ? error.message : String(error) }));
  try {
    let foldedBytes = 0;
    for (const update of stored.updates) foldedBytes += update.length;
    return {
      snapshot: Y.encodeStateAsUpdate(doc),
      stateVector: Y.encodeStateVector(doc),
      throughSeq: stored.throughSeq,
      bad,
      foldedUpdates: stored.updates.length,
      foldedBytes,
      storedSnapshotBytes: stored.snapshot?.length ?? 0,
    };
  } finally {
    doc.destroy();
  }
}

function asFolded(result: FoldResult): FoldedDoc {
  return {
    stored: { snapshot: result.snapshot, updates: [], throughSeq: result.throughSeq },
    bad: result.bad,
    stateVector: result.stateVector,
    folded: result.foldedUpdates > 0 ? { bytes: result.foldedBytes, storedSnapshotBytes: result.storedSnapshotBytes } : null,
  };
}

export interface DocFolderOptions {
  /** Logs at least this long are folded (default MIN_UPDATES_TO_FOLD). */
  readonly minUpdates?: number;
  /** Replaces the worker (the simulation folds in process, so a seed replays). */
  readonly foldElsewhere?: (stored: StoredDoc) => Promise<FoldResult>;
}

export class DocFolder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: FoldResponse) => void; reject: (e: Error) => void }>();
  private readonly minUpdates: number;

  constructor(private readonly options: DocFolderOptions = {}) {
    this.minUpdates = options.minUpdates ?? MIN_UPDATES_TO_FOLD;
  }

  /** Loads a document from `log`, its log folded when long: read by the worker itself when it can. */
  async load(docId: DocId, log: DocLog): Promise<FoldedDoc> {
    const file = log.fileBacked;
    if (file && !this.options.foldElsewhere && file.hasLongTail(docId, this.minUpdates)) {
      return asFolded(await this.run({ id: 0, kind: 'read-and-fold', sqliteFile: file.sqliteFile, docId }, []));
    }
    return this.fold(await log.load(docId));
  }

  /** `stored`, its log folded into the snapshot if it is long. */
  async fold(stored: StoredDoc): Promise<FoldedDoc> {
    if (stored.updates.length < this.minUpdates) return { stored, bad: [], stateVector: null, folded: null };
    return asFolded(await this.foldAlways(stored));
  }

  /**
   * One snapshot of the stored document, read and built in the worker whatever the log's length
   * (compaction: nobody waits for it).
   */
  async loadAndFoldAlways(docId: DocId, log: DocLog): Promise<FoldResult> {
    const file = log.fileBacked;
    if (file && !this.options.foldElsewhere) return this.run({ id: 0, kind: 'read-and-fold', sqliteFile: file.sqliteFile, docId }, []);
    return this.foldAlways(await log.load(docId));
  }

  private async foldAlways(stored: StoredDoc): Promise<FoldResult> {
    if (this.options.foldElsewhere) return this.options.foldElsewhere(stored);
    const { request, transfer } = packFoldRequest(0, stored);
    return this.run(request, transfer);
  }

  /** The state vector of a stored snapshot, read from its bytes: in the worker when it is big. */
  async readStateVector(snapshot: Uint8Array): Promise<Uint8Array> {
    if (this.options.foldElsewhere || snapshot.length < MIN_SNAPSHOT_BYTES_TO_READ_ELSEWHERE) return Y.encodeStateVectorFromUpdate(snapshot);
    const copy = transferableCopy(snapshot);
    const response = await this.request({ id: 0, kind: 'state-vector', snapshot: copy }, [copy.buffer as ArrayBuffer]);
    return response.stateVector;
  }

  /** Ends the worker; a fold in flight rejects. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private async run(request: FoldRequest, transfer: ArrayBuffer[]): Promise<FoldResult> {
    const response = await this.request(request, transfer);
    if (!response.snapshot) throw new Error('the fold worker answered a fold without a snapshot');
    return response;
  }

  private async request(request: FoldRequest, transfer: ArrayBuffer[]): Promise<Extract<FoldResponse, { ok: true }>> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    const response = await new Promise<FoldResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...request, id }, transfer);
      worker.ref();
    });
    if (!response.ok) throw new Error(`the fold worker failed: ${response.message}`);
    return response;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // The server runs its TypeScript through tsx; the boot file registers it in the worker.
    const worker = new Worker(new URL('./fold-worker-boot.mjs', import.meta.url));
    worker.unref();
    worker.on('message', (response: FoldResponse) => {
      const waiter = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (this.pending.size === 0) worker.unref();
      waiter?.resolve(response);
    });
    const failAll = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the fold worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
