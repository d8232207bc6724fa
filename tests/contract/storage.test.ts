import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import { createPostgresStorage } from '../../server/storage/postgres-storage';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import type { Storage } from '../../server/storage/storage';
import { tempDir } from '../helpers/tandem';
import { runDocLogContract } from './doc-log-contract';
import { runLinkStoreContract } from './link-store-contract';
import { runVersionStoreContract } from './version-store-contract';
import type { OpenedStorage } from './opened-storage';

/** Overridable for other machines; the CI database trusts local connections. */
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function openSqlite(): Promise<OpenedStorage> {
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
}

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

function newSchema(): string {
  const schema = `tandem_test_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

async function openPostgres(): Promise<OpenedStorage> {
  const schema = newSchema();
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
}

for (const [name, open] of [
  ['SQLite', openSqlite],
  ['PostgreSQL', openPostgres],
] as const) {
  runDocLogContract(name, open);
  runLinkStoreContract(name, open);
  runVersionStoreContract(name, open);

  describe(`Storage: ${name}`, () => {
    it('ping resolves while the database answers; close can be called twice', async () => {
      const opened = await open();
      try {
        await expect(opened.storage.ping()).resolves.toBeUndefined();
        await opened.storage.close();
        await expect(opened.storage.close()).resolves.toBeUndefined();
      } finally {
        await opened.cleanup();
      }
    });
  });
}

/** What a first-release database holds: the snapshot inside `docs`, no schema version. */
const FIRST_RELEASE = {
  docId: 'migrated_doc' as DocId,
  snapshot: Uint8Array.from([1, 2, 3]),
  updates: [Uint8Array.from([4]), Uint8Array.from([5, 6])],
  keyHash: 'ab'.repeat(32),
};

/** What a first-release database held must read back unchanged after the migration. */
async function expectFirstReleaseData(storage: Storage): Promise<void> {
  const loaded = await storage.log.load(FIRST_RELEASE.docId);
  expect(loaded.snapshot && [...loaded.snapshot]).toEqual([...FIRST_RELEASE.snapshot]);
  expect(loaded.updates.map((u) => [...u])).toEqual(FIRST_RELEASE.updates.map((u) => [...u]));
  expect((await storage.links.findLink(FIRST_RELEASE.docId, FIRST_RELEASE.keyHash))?.role).toBe('owner');
}

describe('upgrading a first-release database', () => {
  it('SQLite: snapshots, logs and links survive the migration', async () => {
    const dataDir = tempDir('tandem-migrate-');
    const old = new Database(path.join(dataDir, 'tandem.sqlite'));
    old.exec(`
      CREATE TABLE docs (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, snapshot BLOB, snapshot_seq INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE links (id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, role TEXT NOT NULL, key_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, revoked_at INTEGER);
      CREATE INDEX links_by_doc ON links (doc_id);
      CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, data BLOB NOT NULL);
      CREATE INDEX updates_by_doc ON updates (doc_id, seq);`);
    old.prepare('INSERT INTO updates (doc_id, data) VALUES (?, ?)').run(FIRST_RELEASE.docId, Buffer.from([0]));
    old.prepare('INSERT INTO docs (id, created_at, snapshot, snapshot_seq) VALUES (?, ?, ?, 1)').run(FIRST_RELEASE.docId, 1_700_000_000_000, Buffer.from(FIRST_RELEASE.snapshot));
    old.prepare('DELETE FROM updates WHERE seq <= 1').run();
    for (const update of FIRST_RELEASE.updates) old.prepare('INSERT INTO updates (doc_id, data) VALUES (?, ?)').run(FIRST_RELEASE.docId, Buffer.from(update));
    old.prepare('INSERT INTO links VALUES (?, ?, ?, ?, ?, NULL, NULL)').run('owner_link', FIRST_RELEASE.docId, 'owner', FIRST_RELEASE.keyHash, 1_700_000_000_000);
    old.close();

    const storage = createSqliteStorage({ dataDir });
    try {
      await expectFirstReleaseData(storage);
    } finally {
      await storage.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: snapshots, logs and links survive the migration', async () => {
    const schema = newSchema();
    const s = `"${schema}"`;
    await admin.query(`
      CREATE SCHEMA ${s};
      CREATE TABLE ${s}.docs (id TEXT PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, snapshot BYTEA, snapshot_seq BIGINT NOT NULL DEFAULT 0);
      CREATE TABLE ${s}.links (id TEXT PRIMARY KEY, ord BIGSERIAL NOT NULL, doc_id TEXT NOT NULL, role TEXT NOT NULL, key_hash TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ);
      CREATE TABLE ${s}.updates (seq BIGSERIAL PRIMARY KEY, doc_id TEXT NOT NULL, data BYTEA NOT NULL);`);
    await admin.query(`SELECT setval(pg_get_serial_sequence('${s}.updates', 'seq'), 1)`);
    await admin.query(`INSERT INTO ${s}.docs VALUES ($1, now(), $2, 1)`, [FIRST_RELEASE.docId, Buffer.from(FIRST_RELEASE.snapshot)]);
    for (const update of FIRST_RELEASE.updates) await admin.query(`INSERT INTO ${s}.updates (doc_id, data) VALUES ($1, $2)`, [FIRST_RELEASE.docId, Buffer.from(update)]);
    await admin.query(`INSERT INTO ${s}.links (id, doc_id, role, key_hash, created_at) VALUES ('owner_link', $1, 'owner', $2, now())`, [FIRST_RELEASE.docId, FIRST_RELEASE.keyHash]);

    const storage = createPostgresStorage({ connectionString: DATABASE_URL, schema });
    try {
      await expectFirstReleaseData(storage);
    } finally {
      await storage.close();
    }
  });
});
