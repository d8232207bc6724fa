import type { Logger } from '../logger';
import type { Storage } from './storage';
import { openSqliteDatabase, type SqliteDatabaseOptions } from './sqlite/sqlite-database';
import { createSqliteDocLog } from './sqlite/sqlite-doc-log';
import { createSqliteLinkStore } from './sqlite/sqlite-link-store';
import { createSqliteVersionStore } from './sqlite/sqlite-version-store';
import { startWalCheckpointer } from './sqlite/wal-checkpointer';

export interface SqliteStorageOptions extends SqliteDatabaseOptions {
  /** Where a failed background checkpoint is reported (the server's own checkpoint still bounds the WAL). */
  readonly logger?: Logger;
}

/** Embedded storage: every seam on one SQLite file, its WAL checkpointed off the event loop. */
export function createSqliteStorage(options: SqliteStorageOptions): Storage {
  const db = openSqliteDatabase(options);
  const checkpointer = startWalCheckpointer(db, options.synchronous ?? 'NORMAL', (message) =>
    options.logger?.warn({ err: message }, 'SQLite: a background WAL checkpoint failed'),
  );
  const ping = db.prepare('SELECT 1');
  return {
    log: createSqliteDocLog(db),
    links: createSqliteLinkStore(db),
    versions: createSqliteVersionStore(db),
    async ping() {
      ping.get();
    },
    async close() {
      await checkpointer.stop();
      if (db.open) db.close();
    },
  };
}
