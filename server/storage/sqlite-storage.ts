import type { Storage } from './storage';
import { openSqliteDatabase, type SqliteDatabaseOptions } from './sqlite/sqlite-database';
import { createSqliteDocLog } from './sqlite/sqlite-doc-log';
import { createSqliteLinkStore } from './sqlite/sqlite-link-store';
import { createSqliteVersionStore } from './sqlite/sqlite-version-store';

export type SqliteStorageOptions = SqliteDatabaseOptions;

/** Embedded storage: every seam on one SQLite file. */
export function createSqliteStorage(options: SqliteStorageOptions): Storage {
  const db = openSqliteDatabase(options);
  const ping = db.prepare('SELECT 1');
  return {
    log: createSqliteDocLog(db),
    links: createSqliteLinkStore(db),
    versions: createSqliteVersionStore(db),
    async ping() {
      ping.get();
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
