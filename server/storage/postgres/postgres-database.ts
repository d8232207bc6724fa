import pg from 'pg';
import type { Logger } from '../../logger';

export interface PostgresDatabaseOptions {
  /** `postgres://user@host:port/database`. */
  readonly connectionString: string;
  /** Schema that holds the tables, created if missing (`public` by default); tests use one each. */
  readonly schema?: string;
  /** Where errors of idle pooled connections go; without a listener they would end the process. */
  readonly logger?: Logger;
  /** Most connections the pool opens (default 10). */
  readonly maxConnections?: number;
  /**
   * Server-side limits, in milliseconds, so one stuck instance (stopped inside a transaction,
   * say) cannot stall every other instance's commits: waiting for a lock, one statement, and a
   * session idle inside an open transaction. Defaults 5 s, 60 s and 10 s.
   */
  readonly lockTimeoutMs?: number;
  readonly statementTimeoutMs?: number;
  readonly idleInTransactionTimeoutMs?: number;
}

/** The pool plus the schema-qualified prefix for table names, ready once `ready()` resolves. */
export interface PostgresDatabase {
  readonly pool: pg.Pool;
  /** `"schema"`, to write `${s}.table`. */
  readonly s: string;
  /** Creates or migrates the tables once; retried on the next call after a failure. */
  ready(): Promise<void>;
  /** Runs `work` in one transaction on one connection. */
  inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Arbitrary constant that serializes migrations when several instances start at once. */
const SCHEMA_LOCK_KEY = 7_310_426_731;

/**
 * Schema migrations, applied in order; the `schema_version` table records how many have run.
 * Never edit a released step: add one. Version 1 is the first release's layout (snapshots
 * inside `docs`); version 2 moves snapshots into their own table, so the document log and the
 * link store own separate tables, and indexes links by key hash; version 3 adds the version
 * store's table, apart from the log so compaction never touches it; version 4 stores each
 * snapshot's state vector beside it (null for snapshots stored before).
 */
const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE IF NOT EXISTS ${s}.docs (
      id TEXT PRIMARY KEY,
      created_at TIMESTAMPTZ NOT NULL,
      snapshot BYTEA,
      snapshot_seq BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS ${s}.links (
      id TEXT PRIMARY KEY,
      ord BIGSERIAL NOT NULL,
      doc_id TEXT NOT NULL,
      role TEXT NOT NULL,
      key_hash TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      expires_at TIMESTAMPTZ,
      revoked_at TIMESTAMPTZ
    );
    CREATE INDEX IF NOT EXISTS links_by_doc ON ${s}.links (doc_id, created_at, ord);
    CREATE TABLE IF NOT EXISTS ${s}.updates (
      seq BIGSERIAL PRIMARY KEY,
      doc_id TEXT NOT NULL,
      data BYTEA NOT NULL
    );
    CREATE INDEX IF NOT EXISTS updates_by_doc ON ${s}.updates (doc_id, seq);`,
  (s) => `
    CREATE TABLE ${s}.snapshots (
      doc_id TEXT PRIMARY KEY,
      data BYTEA NOT NULL,
      through_seq BIGINT NOT NULL
    );
    INSERT INTO ${s}.snapshots (doc_id, data, through_seq) SELECT id, snapshot, snapshot_seq FROM ${s}.docs WHERE snapshot IS NOT NULL;
    ALTER TABLE ${s}.docs DROP COLUMN snapshot, DROP COLUMN snapshot_seq;
    CREATE INDEX links_by_key_hash ON ${s}.links (key_hash);`,
  (s) => `
    CREATE TABLE ${s}.versions (
      ord BIGSERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      doc_id TEXT NOT NULL,
      created_at TIMESTAMPTZ NOT NULL,
      name TEXT,
      authors JSONB NOT NULL,
      content BYTEA NOT NULL
    );
    CREATE INDEX versions_by_doc ON ${s}.versions (doc_id, created_at, ord);`,
  (s) => `ALTER TABLE ${s}.snapshots ADD COLUMN state_vector BYTEA;`,
];

/** Opens a pool on PostgreSQL. Synchronous; the tables are created on first use. */
export function openPostgresDatabase(options: PostgresDatabaseOptions): PostgresDatabase {
  const schemaName = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) throw new RangeError(`invalid schema name ${JSON.stringify(schemaName)}: expected a plain SQL identifier`);
  const s = `"${schemaName}"`;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Without a bound, an unreachable server makes every call (and /healthz) wait forever.
    connectionTimeoutMillis: 10_000,
    lock_timeout: options.lockTimeoutMs ?? 5_000,
    statement_timeout: options.statementTimeoutMs ?? 60_000,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 10_000,
  });
  pool.on('error', (error) => {
    // An idle connection broke (server restart, network); the pool drops it and opens another on demand.
    options.logger?.warn({ err: error }, 'postgres: idle connection failed');
  });

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    // The pool listens for errors only on idle connections. A connection that breaks while we
    // hold it (a server restart between two statements) emits 'error', which would otherwise be
    // unhandled and end the process; the statement in flight rejects on its own.
    const onError = (error: Error) => {
      broken = true;
      options.logger?.warn({ err: error }, 'postgres: connection failed inside a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      client.off('error', onError);
      client.release(broken);
    }
  }

  let migrated: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    migrated ??= inTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}; CREATE TABLE IF NOT EXISTS ${s}.schema_version (version INTEGER NOT NULL)`);
      const row = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`);
      let version = row.rows[0]?.version ?? 0;
      if (version === 0) {
        // A first-release database has tables but no version row: it is at version 1.
        const old = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'docs'`, [schemaName]);
        if (old.rowCount === 1) version = 1;
        await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [version]);
      }
      if (version > MIGRATIONS.length) {
        throw new RangeError(`the database was written by a newer Tandem (schema ${version}, this one knows ${MIGRATIONS.length})`);
      }
      for (let step = version; step < MIGRATIONS.length; step++) await client.query(MIGRATIONS[step]!(s));
      await client.query(`UPDATE ${s}.schema_version SET version = $1`, [MIGRATIONS.length]);
    }).catch((error: unknown) => {
      migrated = null;
      throw error;
    });
    return migrated;
  };

  return { pool, s, ready, inTransaction };
}
