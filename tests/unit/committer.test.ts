import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import { createMetrics } from '../../server/metrics';
import { Committer, DEFAULT_COMMITTER_LIMITS, type PendingUpdate } from '../../server/rooms/committer';
import type { Peer } from '../../server/rooms/peer';
import { createNodeScheduler } from '../../server/scheduler';
import type { DocLog, UpdateEntry } from '../../server/storage/doc-log';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import type { Storage } from '../../server/storage/storage';
import { tempDir } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const logger = pino({ level: 'silent' });
const peer: Peer = { role: 'edit', linkId: null, wantsSavedAcks: false, send() {}, close() {} };
const opened: Storage[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

/** A real SQLite log that records each transaction's entries and can be told to fail the next appends. */
function recordingLog() {
  const storage = createSqliteStorage({ dataDir: tempDir() });
  opened.push(storage);
  const batches: UpdateEntry[][] = [];
  const faults = { failNext: 0 };
  const log: DocLog = {
    ...storage.log,
    load: (docId) => storage.log.load(docId),
    compact: (...args) => storage.log.compact(...args),
    remove: (docId) => storage.log.remove(docId),
    async append(entries) {
      if (faults.failNext > 0) {
        faults.failNext--;
        throw new Error('injected: the disk is full');
      }
      await storage.log.append(entries);
      batches.push([...entries]);
    },
  };
  return { log, batches, faults, storage };
}

function pending(docId: string, bytes: number, fill = 1): PendingUpdate {
  return { docId: docId as DocId, origin: peer, update: new Uint8Array(bytes).fill(fill), receivedAt: 0, savedStateVector: null };
}

describe('Committer (rules D1–D4)', () => {
  it(`splits a backlog into transactions of at most ${DEFAULT_COMMITTER_LIMITS.maxBatchBytes / 1024 / 1024} MiB, in order`, async () => {
    const { log, batches } = recordingLog();
    const committed: number[] = [];
    const committer = new Committer({
      log,
      scheduler: createNodeScheduler(logger),
      logger,
      metrics: createMetrics(),
      onCommitted: (_docId, updates) => committed.push(...updates.map((u) => u.update[0]!)),
    });
    const megabyte = 1024 * 1024;
    for (let i = 0; i < 20; i++) expect(committer.enqueue(pending('doc', megabyte, i))).toBe(true);
    await committer.drain();
    expect(batches.length).toBeGreaterThanOrEqual(3);
    for (const batch of batches) expect(batch.reduce((sum, e) => sum + e.update.length, 0)).toBeLessThanOrEqual(DEFAULT_COMMITTER_LIMITS.maxBatchBytes);
    expect(committed).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('retries a failed commit in order, and one failing document does not hold up another', async () => {
    const { log, faults } = recordingLog();
    const committed: Array<[string, number]> = [];
    const committer = new Committer({
      log,
      scheduler: createNodeScheduler(logger),
      logger,
      metrics: createMetrics(),
      onCommitted: (docId, updates) => committed.push(...updates.map((u): [string, number] => [docId, u.update[0]!])),
    });
    faults.failNext = 2;
    committer.enqueue(pending('a', 10, 1));
    committer.enqueue(pending('b', 10, 1));
    committer.enqueue(pending('a', 10, 2));
    await committer.drain();
    const order = (doc: string) => committed.filter(([d]) => d === doc).map(([, n]) => n);
    expect(order('a')).toEqual([1, 2]);
    expect(order('b')).toEqual([1]);
  });

  it('keeps committing when whoever it reports to throws (rule D10)', async () => {
    const { log, storage } = recordingLog();
    let calls = 0;
    const committer = new Committer({
      log,
      scheduler: createNodeScheduler(logger),
      logger,
      metrics: createMetrics(),
      onCommitted: () => {
        calls++;
        throw new Error('injected: a room failed to relay');
      },
    });
    committer.enqueue(pending('doc', 10, 1));
    await waitFor(() => calls === 1, 'the first report');
    committer.enqueue(pending('doc', 10, 2));
    await committer.drain();
    expect(calls).toBe(2);
    expect((await storage.log.load('doc' as DocId)).updates).toHaveLength(2);
  });

  it('refuses an update when the document\'s backlog is full, and accepts again once it drains', async () => {
    const { log, faults } = recordingLog();
    const committer = new Committer({
      log,
      scheduler: createNodeScheduler(logger),
      logger,
      metrics: createMetrics(),
      onCommitted: () => {},
      limits: { maxQueuedBytesPerDoc: 100 },
    });
    faults.failNext = 1;
    expect(committer.enqueue(pending('doc', 80))).toBe(true);
    expect(committer.enqueue(pending('doc', 80))).toBe(false);
    expect(committer.enqueue(pending('other', 80))).toBe(true);
    await committer.drain();
    expect(committer.enqueue(pending('doc', 80))).toBe(true);
    await committer.drain();
  });
});
