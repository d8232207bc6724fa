import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll } from 'vitest';
import { createPostgresStorage } from '../../server/storage/postgres-storage';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import type { Storage } from '../../server/storage/storage';
import { tempDir } from '../helpers/tandem';
import { runStorageContract } from './storage-contract';

/** Overridable for other machines; the CI database trusts local connections. */
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

runStorageContract('SQLite', async () => {
  const dataDir = tempDir('tandem-storage-');
  const open: Storage[] = [createSqliteStorage({ dataDir, synchronous: 'NORMAL' })];
  return {
    storage: open[0]!,
    async reopen() {
      const storage = createSqliteStorage({ dataDir, synchronous: 'NORMAL' });
      open.push(storage);
      return storage;
    },
    async cleanup() {
      for (const storage of open) await storage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

// One schema per opened store, so tests never see each other's rows; all dropped at the end.
const schemas: string[] = [];
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
  await admin.end();
});

runStorageContract('PostgreSQL', async () => {
  const schema = `tandem_test_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  const open: Storage[] = [createPostgresStorage({ connectionString: DATABASE_URL, schema })];
  return {
    storage: open[0]!,
    async reopen() {
      const storage = createPostgresStorage({ connectionString: DATABASE_URL, schema });
      open.push(storage);
      return storage;
    },
    async cleanup() {
      for (const storage of open) await storage.close();
      await dropSchema(schema);
    },
  };
});
