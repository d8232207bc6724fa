/**
 * Folds long stored documents into one snapshot in a process of its own, so building a big
 * document (a load, a rebuild, a compaction) never stalls the event loop that relays every other
 * document. Applying 260k updates takes about a second; a SQLite log that long is also read by
 * the fold process itself (reading it here took another second of the event loop's time). Short
 * logs are returned as they are: a trip to the fold process would cost more than building them here.
 *
 * A process, not a worker thread: a worker's garbage is collected and its code compiled by V8's
 * helper threads, which every thread of a process shares and which run at the event loop's own
 * priority. A fold of 260k updates kept them busy for a third of a core, competing with the event
 * loop on equal terms. The fold process starts in the idle CPU class (or at nice 19 where that is
 * not available), threads and all, so it takes only time the server leaves over. It starts with
 * the server (`start`), so the first big document does not wait for it to boot, and ends after
 * FOLD_PROCESS_IDLE_MS without work, returning its memory; the next request starts it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { DocLog, StoredDoc } from '../storage/doc-log';
import { buildDoc } from './build-doc';
import type { FoldRequest, FoldResponse, FoldResult } from './fold-messages';
import { packFoldRequest } from './fold-messages';

/** Logs at least this long (entries after the snapshot) are folded in the fold process. */
export const MIN_UPDATES_TO_FOLD = 2_000;
/** Snapshots at least this big have their state vector read in the fold process (about 10 ms for 200 KiB). */
const MIN_SNAPSHOT_BYTES_TO_READ_ELSEWHERE = 64 * 1024;
/** The fold process ends after this long without a request (starting it again takes about half a second). */
export const FOLD_PROCESS_IDLE_MS = 10 * 60_000;

/**
 * The command line of the fold process. `chrt --idle 0` puts a process and every thread it will
 * start in SCHED_IDLE (Linux; util-linux), `nice -n 19` is the fallback; the shell picks what is there.
 */
function foldProcessCommand(): { command: string; args: string[] } {
  // The server runs its TypeScript through tsx; so does the fold process.
  const node = [process.execPath, '--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./fold-process.ts', import.meta.url))];
  if (process.platform === 'win32') return { command: node[0]!, args: node.slice(1) };
  const script = 'if command -v chrt >/dev/null 2>&1; then exec chrt --idle 0 "$@"; fi; exec nice -n 19 "$@"';
  return { command: '/bin/sh', args: ['-c', script, 'fold-process', ...node] };
}

export interface FoldedDoc {
  /** The stored document, its log folded into the snapshot when it was long. */
  readonly stored: StoredDoc;
  /** Entries that did not integrate (index into the log, or -1 for the snapshot), already left out. */
  readonly bad: FoldResult['bad'];
  /** `Y.encodeStateVector` of the document, when the fold has it or storage kept it (and there is no log). */
  readonly stateVector: Uint8Array | null;
  /** What was folded, when a log was: its bytes, and those of the snapshot stored before it. */
  readonly folded: { readonly bytes: number; readonly storedSnapshotBytes: number } | null;
}

/** Folds here, on the calling thread, exactly as the fold process does (it runs this). */
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
  /** Replaces the fold process (the simulation folds in its own thread, so a seed replays). */
  readonly foldElsewhere?: (stored: StoredDoc) => Promise<FoldResult>;
  /** Told of each request sent to the fold process (metrics). */
  readonly onRequest?: (kind: FoldRequest['kind']) => void;
}

export class DocFolder {
  private child: ChildProcess | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: FoldResponse) => void; reject: (e: Error) => void }>();
  private readonly minUpdates: number;

  constructor(private readonly options: DocFolderOptions = {}) {
    this.minUpdates = options.minUpdates ?? MIN_UPDATES_TO_FOLD;
  }

  /** Loads a document from `log`, its log folded when long: read by the fold process itself when it can. */
  async load(docId: DocId, log: DocLog): Promise<FoldedDoc> {
    const file = log.fileBacked;
    if (file && !this.options.foldElsewhere && file.hasLongTail(docId, this.minUpdates)) {
      return asFolded(await this.run({ id: 0, kind: 'read-and-fold', sqliteFile: file.sqliteFile, docId }));
    }
    return this.fold(await log.load(docId));
  }

  /** `stored`, its log folded into the snapshot if it is long. */
  async fold(stored: StoredDoc): Promise<FoldedDoc> {
    if (stored.updates.length < this.minUpdates) {
      // A snapshot stored with its state vector and nothing after it: served without reading one.
      const stateVector = stored.updates.length === 0 ? (stored.snapshotStateVector ?? null) : null;
      return { stored, bad: [], stateVector, folded: null };
    }
    return asFolded(await this.foldAlways(stored));
  }

  /**
   * One snapshot of the stored document, read and built in the fold process whatever the log's length
   * (compaction: nobody waits for it).
   */
  async loadAndFoldAlways(docId: DocId, log: DocLog): Promise<FoldResult> {
    const file = log.fileBacked;
    if (file && !this.options.foldElsewhere) return this.run({ id: 0, kind: 'read-and-fold', sqliteFile: file.sqliteFile, docId });
    return this.foldAlways(await log.load(docId));
  }

  private async foldAlways(stored: StoredDoc): Promise<FoldResult> {
    if (this.options.foldElsewhere) return this.options.foldElsewhere(stored);
    return this.run(packFoldRequest(0, stored));
  }

  /** The state vector of a stored snapshot, read from its bytes: in the fold process when it is big. */
  async readStateVector(snapshot: Uint8Array): Promise<Uint8Array> {
    if (this.options.foldElsewhere || snapshot.length < MIN_SNAPSHOT_BYTES_TO_READ_ELSEWHERE) return Y.encodeStateVectorFromUpdate(snapshot);
    const response = await this.request({ id: 0, kind: 'state-vector', snapshot });
    return response.stateVector;
  }

  /** Starts the fold process ahead of the first request (it still ends when idle). */
  start(): void {
    if (this.options.foldElsewhere || this.child) return;
    this.whenIdle(this.ensureChild());
  }

  /** The fold process's id while it runs (for tests). */
  get processId(): number | undefined {
    return this.child?.pid;
  }

  /** Ends the fold process; a fold in flight rejects. */
  async close(): Promise<void> {
    const child = this.child;
    this.stopChild();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    // Held until it has exited, which an unreferenced child would not be.
    child.ref();
    await new Promise((resolve) => child.once('exit', resolve));
  }

  private async run(request: FoldRequest): Promise<FoldResult> {
    const response = await this.request(request);
    if (!response.snapshot) throw new Error('the fold process answered a fold without a snapshot');
    return response;
  }

  private async request(request: FoldRequest): Promise<Extract<FoldResponse, { ok: true }>> {
    const child = this.ensureChild();
    this.options.onRequest?.(request.kind);
    const id = this.nextId++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const response = await new Promise<FoldResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ ...request, id });
      child.channel?.ref();
    });
    if (!response.ok) throw new Error(`the fold process failed: ${response.message}`);
    return response;
  }

  private ensureChild(): ChildProcess {
    if (this.child) return this.child;
    const { command, args } = foldProcessCommand();
    // Advanced serialization: byte arrays cross as bytes, not as JSON arrays of numbers.
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    // Waiting for a fold keeps the server alive; an idle fold process does not.
    child.unref();
    child.channel?.unref();
    child.on('message', (response: FoldResponse) => {
      const waiter = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (this.pending.size === 0) this.whenIdle(child);
      waiter?.resolve(response);
    });
    const failAll = (error: Error) => {
      if (this.child === child) this.stopChild();
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    };
    child.on('error', failAll);
    child.on('exit', (code, signal) => failAll(new Error(`the fold process exited (${signal ?? code})`)));
    this.child = child;
    return child;
  }

  private whenIdle(child: ChildProcess): void {
    child.channel?.unref();
    // One idle timer at a time: a stale one would end the process early.
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.child === child && this.pending.size === 0) this.stopChild();
    }, FOLD_PROCESS_IDLE_MS);
    this.idleTimer.unref();
  }

  /** Closes the channel: the fold process exits on its own (and is told to, in case it is busy). */
  private stopChild(): void {
    const child = this.child;
    this.child = null;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!child) return;
    if (child.connected) child.disconnect();
    child.kill();
  }
}
