/**
 * Cold load: the automerge-paper trace stored as its 259,778 single-edit updates; a freshly
 * started server, a new client, time from connect to synced. Tandem with its log uncompacted
 * and compacted; the peers with what their storage holds after a live session (Hocuspocus: one
 * state blob; y-websocket: y-leveldb's store, which folds its log into one update when it loads).
 * Reference: Y.applyUpdate of the end state's snapshot into a fresh Y.Doc, timed in the load
 * generator's process.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { freshDataDir, startPeer, withServerAndLoad, type BenchContext } from '../harness/context';
import { spread, type Spread } from '../harness/stats';
import { startLoadGenerator } from '../load/load-generator';
import { sequentialUpdates, type SequentialUpdates } from '../load/traces';
import { PEERS, RELAY_SNAPSHOTS, type DocTarget, type PeerId } from '../peers/peers';
import { num, ratioText, spreadText, table } from '../report/format';
import type { ScenarioOutput, TargetResult } from '../report/types';
import { createSqliteStorage } from '../../../server/storage/sqlite-storage';
import { SqliteLogReader } from '../../../server/storage/sqlite/sqlite-log-reader';
import { foldHere } from '../../../server/rooms/doc-folder';
import { parseDocId } from '../../../lib/doc-id';
import { schema as hocuspocusSchema, upsertQuery as hocuspocusUpsert } from '@hocuspocus/extension-sqlite';

const TRACE = 'automerge-paper';
const DOC_NAME = 'cold-automerge-paper';
/** Loaded first on every fresh server, so Yjs's code paths are warm and the figure is the document's load. */
const WARM_TRACE = 'seph-blog1';
const WARM_NAME = 'warm-seph-blog1';

export interface Golden {
  readonly variant: string;
  readonly peer: PeerId;
  readonly dir: string;
  readonly name: string;
  readonly params: Record<string, string>;
  /** Another large document in the same store, loaded first to warm the server up. */
  readonly warm: { readonly name: string; readonly params: Record<string, string> };
}

interface ColdRun {
  readonly peer: PeerId;
  readonly variant: string;
  readonly ms: number;
  readonly referenceMs: number;
  readonly referenceFirstMs: number;
  readonly listenedMs: number;
  readonly correct: boolean;
}

export async function coldLoad(ctx: BenchContext): Promise<ScenarioOutput> {
  ctx.log(`cold load: turning ${TRACE} into single-edit updates`);
  const trace = sequentialUpdates(TRACE);
  const warmSnapshot = sequentialUpdates(WARM_TRACE).snapshot;
  const snapshotFile = join(ctx.tmpDir, `${TRACE}.snapshot`);
  writeFileSync(snapshotFile, trace.snapshot);
  const goldens: Golden[] = [];
  const failures: string[] = [];
  for (const peer of ctx.peers) {
    try {
      goldens.push(...(await prepare(ctx, peer, trace, warmSnapshot)));
    } catch (error) {
      failures.push(`cold load: preparing ${PEERS[peer].label}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const floor = measureLogFloor(ctx, goldens);
  const runs: ColdRun[] = [];
  for (let rep = 0; rep < ctx.profile.coldLoad.reps; rep += 1) {
    for (const golden of goldens) {
      ctx.log(`cold load: ${PEERS[golden.peer].label}, ${golden.variant}, rep ${rep + 1}`);
      // Every repetition starts from a copy of the same stored state, on a fresh server.
      const dir = freshDataDir(ctx, golden.peer);
      cpSync(golden.dir, dir, { recursive: true });
      const server = await startPeer(ctx, golden.peer, dir);
      const load = await startLoadGenerator({ cpu: 1, timeoutMs: 120_000 });
      try {
        // Warm the server's code paths up on another large document, so the figure is this document's load, not the JIT's.
        await load.run({ kind: 'cold-load', target: server.existingDoc(golden.warm.name, golden.warm.params), timeoutMs: 30_000 });
        const target: DocTarget = server.existingDoc(golden.name, golden.params);
        const result = await load.run({
          kind: 'cold-load',
          target,
          timeoutMs: 60_000,
          snapshotFile,
          returnText: true,
          expectedLength: trace.endContent.length,
        });
        const correct = result.text === trace.endContent;
        if (!correct) failures.push(`cold load ${PEERS[golden.peer].label} ${golden.variant}: text differs (${result.length} characters)`);
        runs.push({ peer: golden.peer, variant: golden.variant, ms: result.ms, referenceMs: result.referenceMs ?? Number.NaN, referenceFirstMs: result.referenceFirstMs ?? Number.NaN, listenedMs: result.listenedMs ?? Number.NaN, correct });
      } catch (error) {
        failures.push(`cold load ${PEERS[golden.peer].label} ${golden.variant}: ${(error as Error).message.split('\n')[0]}`);
      } finally {
        await load.stop();
        await server.stop();
      }
    }
  }
  return report(ctx, goldens, runs, failures, trace, floor);
}

/** What loading the log form costs before any server logic: its rows read, and folded. */
interface LogFloor {
  readonly readMs: Spread;
  readonly foldMs: Spread;
}

/**
 * Times, in this process, reading Tandem's stored log of the trace (SQLite rows into memory)
 * and folding it into a snapshot (applying every update to a Y.Doc and encoding it): what any
 * server holding the document as this log must do before it can answer.
 */
function measureLogFloor(ctx: BenchContext, goldens: readonly Golden[]): LogFloor | null {
  const golden = goldens.find((g) => g.peer === 'tandem' && g.variant.startsWith('log'));
  if (!golden) return null;
  ctx.log('cold load: timing the read and the fold of the log alone');
  const read: number[] = [];
  const fold: number[] = [];
  for (let rep = 0; rep < 3; rep += 1) {
    const reader = new SqliteLogReader(join(golden.dir, 'tandem.sqlite'));
    try {
      let started = performance.now();
      const stored = reader.load(parseDocId(golden.name));
      read.push(performance.now() - started);
      started = performance.now();
      foldHere(stored);
      fold.push(performance.now() - started);
    } finally {
      reader.close();
    }
  }
  return { readMs: spread(read), foldMs: spread(fold) };
}

/** Builds each server's stored state once; repetitions copy it. */
export async function prepare(ctx: BenchContext, peer: PeerId, trace: SequentialUpdates, warmSnapshot: Uint8Array): Promise<Golden[]> {
  switch (peer) {
    case 'tandem': {
      // Create the documents (and keys) through the API, then write their logs through the storage module.
      const dir = freshDataDir(ctx, 'tandem');
      const [main, warmDoc] = await createTandemDocs(ctx, dir, 2);
      const id = main!.name;
      const key = main!.params.key ?? '';
      const warm = { name: warmDoc!.name, params: { ...warmDoc!.params } };
      const storage = createSqliteStorage({ dataDir: dir });
      await storage.log.append([{ docId: parseDocId(warm.name), update: warmSnapshot }]);
      const docId = parseDocId(id);
      const chunk = 10_000;
      for (let i = 0; i < trace.updates.length; i += chunk) {
        await storage.log.append(trace.updates.slice(i, i + chunk).map((update) => ({ docId, update })));
      }
      await storage.close();
      const compactedDir = freshDataDir(ctx, 'tandem');
      cpSync(dir, compactedDir, { recursive: true });
      const compacted = createSqliteStorage({ dataDir: compactedDir });
      const stored = await compacted.log.load(docId);
      // As Tandem's own compaction stores it: the snapshot and its state vector.
      await compacted.log.compact(docId, trace.snapshot, stored.throughSeq, Y.encodeStateVectorFromUpdate(trace.snapshot));
      await compacted.close();
      return [
        { variant: `log of ${trace.updates.length.toLocaleString('en-US')} updates`, peer, dir, name: id, params: { key }, warm },
        { variant: 'compacted', peer, dir: compactedDir, name: id, params: { key }, warm },
      ];
    }
    case 'hocuspocus': {
      // What its SQLite extension stores: one row per document with the encoded state.
      const dir = freshDataDir(ctx, 'hocuspocus');
      const db = new Database(join(dir, 'hocuspocus.sqlite'));
      db.exec(hocuspocusSchema);
      db.prepare(hocuspocusUpsert).run({ name: DOC_NAME, data: Buffer.from(trace.snapshot) });
      db.prepare(hocuspocusUpsert).run({ name: WARM_NAME, data: Buffer.from(warmSnapshot) });
      db.close();
      return [{ variant: 'stored state (its only form)', peer, dir, name: DOC_NAME, params: {}, warm: { name: WARM_NAME, params: {} } }];
    }
    case 'y-websocket': {
      const dir = freshDataDir(ctx, 'y-websocket');
      mkdirSync(join(dir, 'leveldb'), { recursive: true });
      const { LeveldbPersistence } = await import('y-leveldb');
      const ldb = new LeveldbPersistence(join(dir, 'leveldb'));
      await ldb.storeUpdate(DOC_NAME, trace.snapshot);
      await ldb.storeUpdate(WARM_NAME, warmSnapshot);
      await ldb.destroy();
      return [{ variant: 'stored state (y-leveldb)', peer, dir, name: DOC_NAME, params: {}, warm: { name: WARM_NAME, params: {} } }];
    }
    case 'relay': {
      // The floor: no storage and no Y.Doc, the snapshot's bytes held in memory and sent as they are.
      const dir = freshDataDir(ctx, 'relay');
      mkdirSync(join(dir, RELAY_SNAPSHOTS), { recursive: true });
      writeFileSync(join(dir, RELAY_SNAPSHOTS, `${DOC_NAME}.update`), trace.snapshot);
      writeFileSync(join(dir, RELAY_SNAPSHOTS, `${WARM_NAME}.update`), warmSnapshot);
      return [{ variant: 'the snapshot in memory, sent as is (the floor)', peer, dir, name: DOC_NAME, params: {}, warm: { name: WARM_NAME, params: {} } }];
    }
  }
}

/** Starts Tandem on `dir` just long enough to create documents through its API. */
async function createTandemDocs(ctx: BenchContext, dir: string, count: number): Promise<DocTarget[]> {
  const server = await startPeer(ctx, 'tandem', dir);
  try {
    return await server.createDocs(count);
  } finally {
    await server.stop();
  }
}

function report(
  ctx: BenchContext,
  goldens: readonly Golden[],
  runs: readonly ColdRun[],
  failures: readonly string[],
  trace: SequentialUpdates,
  floor: LogFloor | null,
): ScenarioOutput {
  const reference = spread(runs.map((r) => r.referenceMs));
  const of = (g: Golden): Spread => spread(runs.filter((r) => r.peer === g.peer && r.variant === g.variant && r.correct).map((r) => r.ms));
  const rows = goldens.map((g) => [PEERS[g.peer].label, g.variant, spreadText(of(g), 'ms'), ratioText(of(g).median, reference.median)]);
  const first = spread(runs.map((r) => r.referenceFirstMs));
  rows.push(['Y.applyUpdate(snapshot), warm (the reference)', `${(trace.snapshot.length / 1024).toFixed(0)} KiB snapshot`, spreadText(reference, 'ms'), '1×']);
  rows.push(['Y.applyUpdate(snapshot), first in its process', 'after one other large document', spreadText(first, 'ms'), ratioText(first.median, reference.median)]);
  const listened = spread(runs.map((r) => r.listenedMs));
  rows.push(["Y.applyUpdate(snapshot) into a provider's document (an `update` listener)", 'what the client itself must do', spreadText(listened, 'ms'), ratioText(listened.median, reference.median)]);
  if (floor) {
    rows.push(['reading the log alone (SQLite rows into memory, in the bench process)', `${trace.updates.length.toLocaleString('en-US')} rows`, spreadText(floor.readMs, 'ms'), ratioText(floor.readMs.median, reference.median)]);
    rows.push(['folding the log alone (every update applied to a Y.Doc, then encoded)', `${trace.updates.length.toLocaleString('en-US')} updates`, spreadText(floor.foldMs, 'ms'), ratioText(floor.foldMs.median, reference.median)]);
  }
  const targets: TargetResult[] = goldens
    .filter((g) => g.peer === 'tandem')
    .map((g) => {
      const ours = of(g).median;
      return {
        scenario: `cold load, ${TRACE}, ${g.variant}`,
        target: 'connect to synced ≤ 1.5× Y.applyUpdate(snapshot)',
        ours: `${num(ours)} ms`,
        reference: `${num(reference.median)} ms`,
        ratio: ratioText(ours, reference.median),
        met: Number.isFinite(ours) && Number.isFinite(reference.median) ? ours <= 1.5 * reference.median : null,
      };
    });
  const markdown = [
    `${TRACE} (${trace.updates.length.toLocaleString('en-US')} single-edit updates, ${trace.endContent.length.toLocaleString('en-US')} characters at the end) ` +
      `stored in each server's own storage; the server is started fresh on it and one stock client connects. Time from creating ` +
      `the provider to its first \`synced\`, after the server has loaded another large document (${WARM_TRACE}) so its code is warm (includes the WebSocket handshake, the server loading the document, and the client ` +
      `applying the sync step 2). Each run checks the client's text equals the trace's end content. Tandem's log is written ` +
      `through \`server/storage/sqlite-storage.ts\`'s \`appendUpdates\`; "compacted" replaces it with the snapshot and its state vector through its \`compact\`, as Tandem's compaction stores them. ` +
      `Hocuspocus's SQLite extension and y-leveldb only ever hold a whole-document state here, so they have one row. ` +
      `The bare ws relay is the floor of any server: it reads the snapshot into memory when it starts and answers the client's sync step 1 with its bytes at once, ` +
      `so its figure is the handshake, the transfer and the client's own apply, and a server's figure over it is what that server's loading adds. ` +
      `For the y-websocket server the time runs until the text is complete: it answers sync before y-leveldb has loaded the document, so its \`synced\` comes early. The reference is \`Y.applyUpdate\` of the snapshot into a fresh \`Y.Doc\` in the load generator's process (median of 7 after a warm-up, interleaved with the row below it); ` +
      `the first of those decodes is shown too: it runs as cold as the server's load of the document (after one other large document), ` +
      `so it is what the server's own decode costs inside the figure. The row after it applies the snapshot into a Y.Doc that ` +
      `has an \`update\` listener, as the document of every provider (y-websocket's and Hocuspocus's) has: Yjs then also encodes ` +
      `what was applied, so this is the client's own share of any server's figure, and it alone puts 1.5× of the bare reference ` +
      `out of reach when it is above that. ` +
      `The last two rows time, in the bench's own process, what any server holding the document as this log must do before it ` +
      `can answer: read its rows, and apply them (3 runs). Together they put the log form's target out of reach by their ratio; ` +
      `Tandem never lets a log grow this long itself: it compacts a document once its log outgrows its snapshot (and 64 KiB), ` +
      `in the background, so the log a load reads is at most about the snapshot's size. The log row is the cost of a log ` +
      `written around the server (or by another program), loaded once: the load stores the folded snapshot.`,
    '',
    table(['server', 'stored as', 'connect → synced', '/ reference'], rows),
  ].join('\n');
  return { id: 'cold-load', title: 'Cold load', markdown, targets, charts: [], failures, raw: runs };
}
