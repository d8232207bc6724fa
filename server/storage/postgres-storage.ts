import type { Storage } from './storage';
import { openPostgresDatabase, type PostgresDatabaseOptions } from './postgres/postgres-database';
import { createPostgresDocLog } from './postgres/postgres-doc-log';
import { createPostgresLinkStore } from './postgres/postgres-link-store';
import { createPostgresVersionStore } from './postgres/postgres-version-store';

export type PostgresStorageOptions = PostgresDatabaseOptions;

/** Shared storage for several server instances: every seam on one PostgreSQL database. */
export function createPostgresStorage(options: PostgresStorageOptions): Storage {
  const database = openPostgresDatabase(options);
  return {
    log: createPostgresDocLog(database),
    links: createPostgresLinkStore(database),
    versions: createPostgresVersionStore(database),
    async ping() {
      await database.ready();
      await database.pool.query('SELECT 1');
    },
    async close() {
      if (!database.pool.ended) await database.pool.end();
    },
  };
}
