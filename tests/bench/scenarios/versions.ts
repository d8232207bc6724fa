/**
 * Versions: the automerge-paper trace (259,778 single-edit updates) replayed as one long editing
 * session on a clock the scenario drives: bursts of typing, one edit every 300 ms for ten minutes,
 * then a two-minute break. Automatic versions are taken by the server's own AutoVersioner and
 * Versions (pause 30 s, at most every 5 minutes while typing) into a real SQLite version store
 * with the default retention. Reported: bytes per version and in total for the stored
 * representation (whole state, deflated) beside the alternatives (whole state raw; a delta from
 * the previous version, raw and deflated), and the time versioning adds per update.
 */
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { pino } from 'pino';
import * as Y from 'yjs';
import type { DocId } from '../../../lib/doc-id';
import { createSqliteStorage } from '../../../server/storage/sqlite-storage';
import { AutoVersioner, DEFAULT_AUTO_VERSION_POLICY } from '../../../server/versions/auto-versioner';
import { DEFAULT_RETENTION } from '../../../server/versions/retention';
import { Versions } from '../../../server/versions/versions';
import { ManualScheduler } from '../../helpers/manual-scheduler';
import type { BenchContext } from '../harness/context';
import { sequentialUpdates } from '../load/traces';
import { bytes, num, table } from '../report/format';
import type { ScenarioOutput } from '../report/types';

const TRACE = 'automerge-paper';
const EDIT_EVERY_MS = 300;
const BURST_EDITS = 2_000;
const BREAK_MS = 2 * 60_000;
const DOC = 'bench_versions' as DocId;

interface Sizes {
  fullRaw: number;
  fullDeflated: number;
  deltaRaw: number;
  deltaDeflated: number;
}

export async function versions(ctx: BenchContext): Promise<ScenarioOutput> {
  ctx.log(`versions: replaying ${TRACE} as a long session with automatic versions`);
  const { updates } = sequentialUpdates(TRACE);
  const logger = pino({ level: 'silent' });
  const storage = createSqliteStorage({ dataDir: join(ctx.tmpDir, 'versions') });
  const scheduler = new ManualScheduler();
  const doc = new Y.Doc();
  const sizes: Sizes = { fullRaw: 0, fullDeflated: 0, deltaRaw: 0, deltaDeflated: 0 };
  let previousVector: Uint8Array | null = null;
  let versioningMs = 0;
  /** Time spent measuring the alternatives inside a take, taken back out of versioningMs. */
  let untimedMs = 0;
  let taken = 0;
  const service = new Versions({
    store: storage.versions,
    rooms: {
      async readCommitted() {
        const state = Y.encodeStateAsUpdate(doc);
        // The alternatives, measured on the same state, outside the timed work.
        const measuring = performance.now();
        const delta = previousVector ? Y.encodeStateAsUpdate(doc, previousVector) : state;
        previousVector = Y.encodeStateVector(doc);
        sizes.fullRaw += state.length;
        sizes.fullDeflated += deflateRawSync(state, { level: 6 }).length;
        sizes.deltaRaw += delta.length;
        sizes.deltaDeflated += deflateRawSync(delta, { level: 6 }).length;
        untimedMs += performance.now() - measuring;
        return state;
      },
      change: async () => false,
      claimAuthors: () => [],
    },
    exists: async () => true,
    scheduler,
    retention: DEFAULT_RETENTION,
    logger,
  });
  const inFlight: Promise<unknown>[] = [];
  const versioner = new AutoVersioner({
    scheduler,
    logger,
    policy: DEFAULT_AUTO_VERSION_POLICY,
    take: (docId, authors) => {
      const run = (async () => {
        const started = performance.now();
        await service.take(docId, null, authors);
        versioningMs += performance.now() - started;
        taken++;
      })();
      inFlight.push(run);
      return run;
    },
  });

  const sessionStart = scheduler.now();
  let changedMs = 0;
  let replayMs = 0;
  for (let i = 0; i < updates.length; i++) {
    const applying = performance.now();
    Y.applyUpdate(doc, updates[i]!);
    const started = performance.now();
    replayMs += started - applying;
    versioner.changed(DOC, ['Author']);
    changedMs += performance.now() - started;
    scheduler.advance((i + 1) % BURST_EDITS === 0 ? BREAK_MS : EDIT_EVERY_MS);
    if (inFlight.length > 0) await Promise.all(inFlight.splice(0));
  }
  versioner.takeNow(DOC);
  await Promise.all(inFlight.splice(0));
  const sessionHours = (scheduler.now() - sessionStart) / 3_600_000;

  const kept = await storage.versions.list(DOC);
  let keptBytes = 0;
  for (const record of kept) keptBytes += (await storage.versions.read(DOC, record.id))!.content.length;
  const finalBytes = Y.encodeStateAsUpdate(doc).length;
  await storage.close();

  const timedMs = versioningMs - untimedMs;
  const perUpdateUs = ((timedMs + changedMs) / updates.length) * 1000;
  const replayUs = (replayMs / updates.length) * 1000;
  const per = (total: number) => bytes(total / taken);
  const sizeRows = [
    ['whole state, deflated (what is stored)', per(sizes.fullDeflated), bytes(sizes.fullDeflated), 'yes'],
    ['whole state, raw', per(sizes.fullRaw), bytes(sizes.fullRaw), 'yes'],
    ['delta from the previous version, deflated', per(sizes.deltaDeflated), bytes(sizes.deltaDeflated), 'no: needs every earlier delta'],
    ['delta from the previous version, raw', per(sizes.deltaRaw), bytes(sizes.deltaRaw), 'no: needs every earlier delta'],
  ];
  const markdown = [
    `The ${TRACE} trace (${num(updates.length, 0)} single-edit updates) as one session of ${num(sessionHours, 1)} hours on a driven clock: ` +
      `an edit every ${EDIT_EVERY_MS} ms, a ${BREAK_MS / 60_000}-minute break after every ${num(BURST_EDITS, 0)} edits. ` +
      `Automatic versions by the server's AutoVersioner (pause ${DEFAULT_AUTO_VERSION_POLICY.pauseMs / 1000} s, at most every ${DEFAULT_AUTO_VERSION_POLICY.maxIntervalMs / 60_000} min) into SQLite, default retention.`,
    '',
    `${num(taken, 0)} versions taken; ${num(kept.length, 0)} kept after retention, holding ${bytes(keptBytes)}. The final document's state is ${bytes(finalBytes)}.`,
    '',
    table(['representation', 'bytes per version', 'all versions taken', 'reads alone'], sizeRows),
    '',
    table(
      ['time', 'per update'],
      [
        ['versioning (policy on every commit, plus encode, deflate, store, thin at each version)', `${num(perUpdateUs, 2)} µs`],
        ['for scale: applying the update to a Y.Doc', `${num(replayUs, 2)} µs`],
      ],
    ),
  ].join('\n');
  return {
    id: 'versions',
    title: 'Versions: bytes and time of automatic versions over a long session',
    markdown,
    targets: [],
    charts: [],
    failures: taken === 0 ? ['versions: no version was taken'] : [],
    raw: { taken, kept: kept.length, keptBytes, finalBytes, sizes, perUpdateUs, replayUs, sessionHours },
  };
}
