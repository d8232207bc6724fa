import { describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../server/storage/sqlite/sqlite-database';
import { WAL_PAGES_BEFORE_SERVER_CHECKPOINT, startWalCheckpointer } from '../../server/storage/sqlite/wal-checkpointer';
import { tempDir } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

describe('SQLite WAL checkpoints off the event loop', () => {
  it('copies the pages the server commits from its own thread, and the server connection no longer checkpoints at 1,000 pages', async () => {
    const db = openSqliteDatabase({ dataDir: tempDir() });
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(db, 'NORMAL', (message) => errors.push(message));
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_PAGES_BEFORE_SERVER_CHECKPOINT);
      db.exec('CREATE TABLE filler (data BLOB NOT NULL)');
      const insert = db.prepare('INSERT INTO filler (data) VALUES (?)');
      // 40 commits of 200 KiB: 2,000 pages or more, twice SQLite's default threshold.
      const row = new Uint8Array(4096).fill(7);
      for (let commit = 0; commit < 40; commit++) db.transaction(() => { for (let i = 0; i < 50; i++) insert.run(row); })();
      // Had the server's connection checkpointed them itself, there would be nothing left to copy.
      await waitFor(() => checkpointer.stats.pages >= 2_000, 'the background checkpoints to copy 2,000 pages', 10_000);
      expect(errors).toEqual([]);
      expect(db.prepare('SELECT count(*) AS n FROM filler').get()).toEqual({ n: 2_000 });
    } finally {
      await checkpointer.stop();
      db.close();
    }
  });

  it('reports a checkpoint that fails, keeps the server its own bound, and checkpoints again once it can', async () => {
    const db = openSqliteDatabase({ dataDir: tempDir() });
    const errors: string[] = [];
    const checkpointer = startWalCheckpointer(db, 'NORMAL', (message) => errors.push(message));
    try {
      // A connection that holds the database exclusively makes every checkpoint elsewhere fail.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('CREATE TABLE t (x)');
      await waitFor(() => errors.length > 0, 'a failed checkpoint to be reported', 10_000);
      expect(errors[0]).toMatch(/locked|busy/i);
      // The same failure, again and again while the lock lasts, is reported once.
      await waitFor(() => checkpointer.stats.failures >= 3, 'three failed checkpoints', 10_000);
      expect(errors).toHaveLength(1);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_PAGES_BEFORE_SERVER_CHECKPOINT);
      // Back to normal locking: the next write releases the lock, and the next checkpoint copies.
      db.pragma('locking_mode = NORMAL');
      db.exec('INSERT INTO t VALUES (1)');
      await waitFor(() => checkpointer.stats.pages > 0, 'a checkpoint after the lock was released', 10_000);
    } finally {
      await checkpointer.stop();
      db.close();
    }
  });
});
