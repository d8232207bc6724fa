/**
 * Folds long stored documents into one snapshot in a worker thread, so building a big document
 * (a load, a rebuild, a compaction) never stalls the event loop that relays every other
 * document. Applying 260k updates takes about half a second; applying the one snapshot that
 * comes back takes a few milliseconds. Short logs are returned as they are: copying them to the
 * worker would cost more than building them here.
 */
import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';
import type { StoredDoc } from '../storage/doc-log';
import { buildDoc } from './build-doc';
import { packFoldRequest, type FoldResponse } from './fold-messages';

/** Logs at least this long (entries after the snapshot) are folded in the worker. */
export const MIN_UPDATES_TO_FOLD = 2_000;

export interface FoldedDoc {
  /** The stored document, its log folded into the snapshot when it was long. */
  readonly stored: StoredDoc;
  /** Entries that did not integrate (index into the log, or -1 for the snapshot), already left out. */
  readonly bad: ReadonlyArray<{ index: number; message: string }>;
}

/** One snapshot of a stored document and the entries that did not integrate. */
export interface Fold {
  readonly snapshot: Uint8Array;
  readonly bad: FoldedDoc['bad'];
}

/** Folds here, on the calling thread, exactly as the worker does (the worker runs this). */
export function foldHere(stored: StoredDoc): Fold {
  const bad: Array<{ index: number; message: string }> = [];
  const doc = buildDoc(stored, (index, error) => bad.push({ index, message: error instanceof Error ? error.message : String(error) }));
  try {
    return { snapshot: Y.encodeStateAsUpdate(doc), bad };
  } finally {
    doc.destroy();
  }
}

export class DocFolder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: FoldResponse) => void; reject: (e: Error) => void }>();

  /**
   * `foldElsewhere` replaces the worker (the simulation folds in process, so a seed replays);
   * by default folds run in a worker thread started on first use.
   */
  constructor(
    private readonly minUpdates = MIN_UPDATES_TO_FOLD,
    private readonly foldElsewhere?: (stored: StoredDoc) => Promise<Fold>,
  ) {}

  /** Whether `stored` is long enough to be worth a trip to the worker. */
  isLong(stored: StoredDoc): boolean {
    return stored.updates.length >= this.minUpdates;
  }

  async fold(stored: StoredDoc): Promise<FoldedDoc> {
    if (!this.isLong(stored)) return { stored, bad: [] };
    const { snapshot, bad } = await this.foldAlways(stored);
    return { stored: { snapshot, updates: [], throughSeq: stored.throughSeq }, bad };
  }

  /** One snapshot of `stored`, built in the worker whatever its length (compaction: nobody waits). */
  async foldAlways(stored: StoredDoc): Promise<Fold> {
    if (this.foldElsewhere) return this.foldElsewhere(stored);
    const response = await this.request(stored);
    if (!response.ok) throw new Error(`folding in the worker failed: ${response.message}`);
    return { snapshot: response.snapshot, bad: response.bad };
  }

  /** Ends the worker; a fold in flight rejects. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private request(stored: StoredDoc): Promise<FoldResponse> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const { request, transfer } = packFoldRequest(id, stored);
      worker.postMessage(request, transfer);
      worker.ref();
    });
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
