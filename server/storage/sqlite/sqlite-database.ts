import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface SqliteDatabaseOptions {
  /** Directory that holds `tandem.sqlite`; created if missing. */
  readonly dataDir: string;
  /**
   * `NORMAL` (default; SQLite's advice for WAL) makes every commit survive a crashed or killed
   * process, but the last commits may be lost if the machine loses power. `FULL` fsyncs every
   * commit so they survive that too, at about 1.5 ms per commit on a typical VM disk.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run. Never
 * edit a released step: add one. Version 1 is the first release's layout (snapshots inside
 * `docs`); version 2 moves snapshots into their own table so the document log and the link
 * store own separate tables, and indexes links by key hash; version 3 adds the version store's
 table, apart from the log so compaction never touches it; version 4 stores each snapshot's state
 vector beside it (null for snapshots stored before).
 */
const MIGRATIONS: readonly ((db: SqliteDatabase) => void)[] = [
  (db) =>
    db.exec(`
      CREATE TABLE IF NOT EXISTS docs (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        snapshot BLOB,
        snapshot_seq INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS links (
        id TEXT PRIMARY KEY,
        doc_id TEXT NOT NULL,
        role TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS links_by_doc ON links (doc_id);
      CREATE TABLE IF NOT EXISTS updates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        data BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS updates_by_doc ON updates (doc_id, seq);
    `),
  (db) =>
    db.exec(`
      CREATE TABLE snapshots (
        doc_id TEXT PRIMARY KEY,
        data BLOB NOT NULL,
        through_seq INTEGER NOT NULL
      );
      INSERT INTO snapshots (doc_id, data, through_seq) SELECT id, snapshot, snapshot_seq FROM docs WHERE snapshot IS NOT NULL;
      ALTER TABLE docs DROP COLUMN snapshot;
      ALTER TABLE docs DROP COLUMN snapshot_seq;
      CREATE INDEX links_by_key_hash ON links (key_hash);
    `),
  (db) =>
    db.exec(`
      CREATE TABLE versions (
        ord INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        doc_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        name TEXT,
        authors TEXT NOT NULL,
        content BLOB NOT NULL
      );
      CREATE INDEX versions_by_doc ON versions (doc_id, created_at, ord);
    `),
  (db) => db.exec('ALTER TABLE snapshots ADD COLUMN state_vector BLOB'),
];

/** Opens (creating or migrating) the embedded database: one file in WAL mode. */
export function openSqliteDatabase(options: SqliteDatabaseOptions): SqliteDatabase {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(path.join(options.dataDir, 'tandem.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  const migrate = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new RangeError(`the database was written by a newer Tandem (schema ${version}, this one knows ${MIGRATIONS.length})`);
    }
    for (let step = version; step < MIGRATIONS.length; step++) MIGRATIONS[step]!(db);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  migrate.immediate();
  return db;
}
