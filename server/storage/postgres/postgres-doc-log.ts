import type { DocLog, StoredDoc } from '../doc-log';
import type { PostgresDatabase } from './postgres-database';

/** Most bytes of updates sent in one INSERT statement; bigger appends use several in one transaction. */
const MAX_STATEMENT_BYTES = 16 * 1024 * 1024;

/**
 * The document log on PostgreSQL, shared by several instances. Sequence numbers come from one
 * BIGSERIAL, and appends to a document take a per-document advisory lock for their
 * transaction, so within a document sequence order is commit order: a compaction can then never
 * fold through a sequence number while a smaller one is still uncommitted.
 */
export function createPostgresDocLog(database: PostgresDatabase): DocLog {
  const { pool, s, ready, inTransaction } = database;
  return {
    async append(entries) {
      if (entries.length === 0) return;
      await ready();
      await inTransaction(async (client) => {
        // Locks in one fixed order (by key) so two batches over the same documents cannot deadlock.
        await client.query(
          `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(d, 0) AS k FROM unnest($1::text[]) AS d ORDER BY k) AS locks`,
          [entries.map((e) => e.docId)],
        );
        // Statements bounded in bytes: node-pg builds each one's parameters as one string.
        for (let start = 0; start < entries.length; ) {
          let end = start;
          let bytes = 0;
          while (end < entries.length && (end === start || bytes + entries[end]!.update.length <= MAX_STATEMENT_BYTES)) {
            bytes += entries[end]!.update.length;
            end++;
          }
          const chunk = entries.slice(start, end);
          await client.query(`INSERT INTO ${s}.updates (doc_id, data) SELECT d, u FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS t(d, u, i) ORDER BY i`, [
            chunk.map((e) => e.docId),
            chunk.map((e) => e.update),
          ]);
          start = end;
        }
      });
    },

    async load(docId): Promise<StoredDoc> {
      await ready();
      // One statement reads one snapshot of the database, so a compaction that commits meanwhile
      // cannot leave us with the old snapshot and the new (shortened) log.
      const result = await pool.query<{ head: boolean; seq: string; data: Buffer; state_vector: Buffer | null }>(
        `WITH head AS (SELECT data, through_seq, state_vector FROM ${s}.snapshots WHERE doc_id = $1)
         SELECT true AS head, through_seq AS seq, data, state_vector FROM head
         UNION ALL
         SELECT false, seq, data, NULL FROM ${s}.updates
           WHERE doc_id = $1 AND seq > COALESCE((SELECT through_seq FROM head), 0)
         ORDER BY head DESC, seq`,
        [docId],
      );
      let snapshot: Uint8Array | null = null;
      let snapshotStateVector: Uint8Array | null = null;
      let throughSeq = 0;
      const updates: Uint8Array[] = [];
      for (const row of result.rows) {
        throughSeq = Number(row.seq);
        if (row.head) {
          snapshot = row.data;
          snapshotStateVector = row.state_vector;
        } else updates.push(row.data);
      }
      return { snapshot, updates, throughSeq, snapshotStateVector };
    },

    async compact(docId, snapshot, throughSeq, stateVector) {
      await ready();
      return inTransaction(async (client) => {
        // A concurrent compaction of the same document waits on the row lock, then re-checks the
        // condition against the row it committed: the older of the two changes nothing.
        const written = await client.query(
          `INSERT INTO ${s}.snapshots (doc_id, data, through_seq, state_vector) VALUES ($1, $2, $3, $4)
           ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data, through_seq = excluded.through_seq, state_vector = excluded.state_vector
           WHERE ${s}.snapshots.through_seq < excluded.through_seq`,
          [docId, snapshot, throughSeq, stateVector ?? null],
        );
        if (written.rowCount !== 1) return false;
        await client.query(`DELETE FROM ${s}.updates WHERE doc_id = $1 AND seq <= $2`, [docId, throughSeq]);
        return true;
      });
    },

    async remove(docId) {
      await ready();
      await inTransaction(async (client) => {
        await client.query(`DELETE FROM ${s}.updates WHERE doc_id = $1`, [docId]);
        await client.query(`DELETE FROM ${s}.snapshots WHERE doc_id = $1`, [docId]);
      });
    },
  };
}
