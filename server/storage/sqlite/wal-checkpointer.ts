/**
 * Moves SQLite's WAL checkpoints off the event loop. By default SQLite checkpoints inside the
 * commit that takes the WAL past 1,000 pages: the committing connection copies those pages into
 * the database file and fsyncs both files, about 9 ms on a typical VM disk, on the thread that
 * relays every document. Sweeping a 260k-entry compaction did that a dozen times.
 *
 * A worker thread, with a connection of its own, runs a PASSIVE checkpoint every
 * CHECKPOINT_INTERVAL_MS instead: it copies pages without taking any lock the server's writes
 * wait for. The server's connection keeps a checkpoint of its own at WAL_PAGES_BEFORE_SERVER_CHECKPOINT
 * pages, as a bound: SQLite only rewinds the WAL to its start when a write begins with every page
 * already copied, which a stream of writes can keep from happening; that checkpoint then finds
 * the pages copied already, and only syncs and rewinds.
 */
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite-database';

export const CHECKPOINT_INTERVAL_MS = 250;
/**
 * About 40 MB of WAL (SQLite's default is 1,000 pages). Rarely reached: a write that finds every
 * page copied rewinds the WAL, which happens whenever a background checkpoint ends between writes.
 */
export const WAL_PAGES_BEFORE_SERVER_CHECKPOINT = 10_000;

export interface WalCheckpointer {
  /** Checkpoints that copied pages, how many they copied, and checkpoints that failed. */
  readonly stats: { checkpoints: number; pages: number; failures: number };
  stop(): Promise<void>;
}

export function startWalCheckpointer(db: SqliteDatabase, synchronous: 'FULL' | 'NORMAL', onError: (message: string) => void): WalCheckpointer {
  db.pragma(`wal_autocheckpoint = ${WAL_PAGES_BEFORE_SERVER_CHECKPOINT}`);
  const worker = new Worker(new URL('./wal-checkpoint-thread.mjs', import.meta.url), {
    workerData: { file: db.name, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  // It never keeps the server alive on its own.
  worker.unref();
  const stats = { checkpoints: 0, pages: 0, failures: 0 };
  /** The failure last reported: a lock held for minutes is reported once, not four times a second. */
  let lastFailure: string | null = null;
  worker.on('message', (message: { kind: 'checkpointed'; pages: number } | { kind: 'failed'; message: string }) => {
    if (message.kind === 'failed') {
      stats.failures += 1;
      if (message.message !== lastFailure) onError(message.message);
      lastFailure = message.message;
      return;
    }
    lastFailure = null;
    stats.checkpoints += 1;
    stats.pages += message.pages;
  });
  // The thread itself failed (it reports failed checkpoints as messages): the server's bound remains.
  worker.on('error', (error) => onError(error instanceof Error ? error.message : String(error)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stats,
    async stop() {
      // Held until it has closed its connection, which an unreferenced worker would not be.
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
