import pg from 'pg';
import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import type { Logger } from '../logger';
import { DocExistsError, type LinkRecord, type Storage, type StoredDoc } from './storage';

export interface PostgresStorageOptions {
  /** `postgres://user@host:port/database`. */
  readonly connectionString: string;
  /** Schema that holds the tables, created if missing (`public` by default); tests use one each. */
  readonly schema?: string;
  /** Where errors of idle pooled connections go; without a listener they would end the process. */
  readonly logger?: Logger;
  /** Most connections the pool opens (default 10). */
  readonly maxConnections?: number;
}

interface LinkRow {
  id: string;
  doc_id: string;
  role: string;
  key_hash: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Arbitrary constant that serializes schema creation when several instances start at once. */
const SCHEMA_LOCK_KEY = 7_310_426_731;

function schemaSql(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
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
CREATE INDEX IF NOT EXISTS updates_by_doc ON ${s}.updates (doc_id, seq);
`;
}

function toLink(row: LinkRow): LinkRecord {
  return {
    id: row.id,
    docId: row.doc_id as DocId,
    role: row.role as Role,
    keyHash: row.key_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Shared storage for several server instances. Sequence numbers come from one BIGSERIAL, and
 * appends to a document take a per-document advisory lock for their transaction, so within a
 * document sequence order is commit order: a compaction can then never fold through a sequence
 * number while a smaller one is still uncommitted (which would hide that entry for good).
 * The factory is synchronous; tables are created on first use and every method waits for that.
 */
export function createPostgresStorage(options: PostgresStorageOptions): Storage {
  const schemaName = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schemaName)) throw new RangeError(`invalid schema name ${JSON.stringify(schemaName)}: expected a plain SQL identifier`);
  const s = `"${schemaName}"`;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    // Without a bound, an unreachable server makes every call (and /healthz) wait forever.
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', (error) => {
    // An idle connection broke (server restart, network); the pool drops it and opens another on demand.
    options.logger?.warn({ err: error }, 'postgres: idle connection failed');
  });

  let ready: Promise<void> | null = null;
  // Retried on the next call after a failure, so a database that starts late is picked up.
  const ensureReady = (): Promise<void> => {
    ready ??= inTransaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
      await client.query(schemaSql(s));
    }).catch((error: unknown) => {
      ready = null;
      throw error;
    });
    return ready;
  };

  async function inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
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
      client.release(broken);
    }
  }

  const insertLinkSql = `INSERT INTO ${s}.links (id, doc_id, role, key_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  const linkParams = (link: LinkRecord) => [link.id, link.docId, link.role, link.keyHash, link.createdAt, link.expiresAt, link.revokedAt];

  return {
    async createDoc(docId, owner) {
      await ensureReady();
      await inTransaction(async (client) => {
        // A concurrent insert of the same id waits for the first to commit, then inserts nothing.
        const inserted = await client.query(`INSERT INTO ${s}.docs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, [docId, owner.createdAt]);
        if (inserted.rowCount !== 1) throw new DocExistsError(docId);
        await client.query(insertLinkSql, linkParams(owner));
      });
    },

    async docExists(docId) {
      await ensureReady();
      const result = await pool.query(`SELECT 1 FROM ${s}.docs WHERE id = $1`, [docId]);
      return result.rowCount === 1;
    },

    async addLink(link) {
      await ensureReady();
      await pool.query(insertLinkSql, linkParams(link));
    },

    async listLinks(docId) {
      await ensureReady();
      const result = await pool.query<LinkRow>(
        `SELECT id, doc_id, role, key_hash, created_at, expires_at, revoked_at FROM ${s}.links WHERE doc_id = $1 ORDER BY created_at, ord`,
        [docId],
      );
      return result.rows.map(toLink);
    },

    async revokeLink(docId, linkId, at) {
      await ensureReady();
      const result = await pool.query(`UPDATE ${s}.links SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND doc_id = $3`, [at, linkId, docId]);
      return (result.rowCount ?? 0) > 0;
    },

    async appendUpdates(entries) {
      if (entries.length === 0) return;
      await ensureReady();
      const docIds = entries.map((e) => e.docId);
      const data = entries.map((e) => e.update);
      await inTransaction(async (client) => {
        // Locks in one fixed order (by key) so two batches over the same documents cannot deadlock.
        await client.query(
          `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(d, 0) AS k FROM unnest($1::text[]) AS d ORDER BY k) AS locks`,
          [docIds],
        );
        await client.query(
          `INSERT INTO ${s}.updates (doc_id, data) SELECT d, u FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS t(d, u, i) ORDER BY i`,
          [docIds, data],
        );
      });
    },

    async loadDoc(docId): Promise<StoredDoc> {
      await ensureReady();
      // One statement reads one snapshot of the database, so a compaction that commits meanwhile
      // cannot leave us with the old snapshot and the new (shortened) log.
      const result = await pool.query<{ head: boolean; seq: string; data: Buffer | null }>(
        `WITH head AS (SELECT snapshot, snapshot_seq FROM ${s}.docs WHERE id = $1)
         SELECT true AS head, snapshot_seq AS seq, snapshot AS data FROM head
         UNION ALL
         SELECT false, seq, data FROM ${s}.updates
           WHERE doc_id = $1 AND seq > COALESCE((SELECT snapshot_seq FROM head), 0)
         ORDER BY head DESC, seq`,
        [docId],
      );
      let snapshot: Uint8Array | null = null;
      let throughSeq = 0;
      const updates: Uint8Array[] = [];
      for (const row of result.rows) {
        throughSeq = Number(row.seq);
        if (row.head) snapshot = row.data;
        else if (row.data) updates.push(row.data);
      }
      return { snapshot, updates, throughSeq };
    },

    async compact(docId, snapshot, throughSeq) {
      await ensureReady();
      return inTransaction(async (client) => {
        // A concurrent compaction of the same document waits on the row lock, then re-checks the
        // condition against the row it committed: the older of the two changes nothing.
        const updated = await client.query(`UPDATE ${s}.docs SET snapshot = $1, snapshot_seq = $2 WHERE id = $3 AND snapshot_seq < $2`, [
          snapshot,
          throughSeq,
          docId,
        ]);
        if (updated.rowCount !== 1) return false;
        await client.query(`DELETE FROM ${s}.updates WHERE doc_id = $1 AND seq <= $2`, [docId, throughSeq]);
        return true;
      });
    },

    async ping() {
      await ensureReady();
      await pool.query('SELECT 1');
    },

    async close() {
      if (!pool.ended) await pool.end();
    },
  };
}
