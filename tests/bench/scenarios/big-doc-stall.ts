/**
 * A big document must not stall the others: one busy document (clients typing at a fixed rate)
 * on a server whose storage also holds automerge-paper as its 259,778-update log. Delivery p99 on
 * the busy document is measured over a quiet window, then over a window in which another client
 * opens the big document (the server loads, builds and compacts it). Tandem only: the peers
 * store a big document as one state blob, so they never build one from a log.
 */
import { cpSync } from 'node:fs';
import * as encoding from 'lib0/encoding';
import { freshDataDir, sleep, startPeer, type BenchContext } from '../harness/context';
import { Histogram, spread } from '../harness/stats';
import { startLoadGenerator } from '../load/load-generator';
import { RawSocket } from '../load/raw-socket';
import { sequentialUpdates } from '../load/traces';
import type { DocTarget } from '../peers/peers';
import { num, spreadText, table } from '../report/format';
import type { ScenarioOutput, TargetResult } from '../report/types';
import { prepare } from './cold-load';

const CLIENTS = 50;
const RATE = 100;
/**
 * The window while the big one opens: long enough to hold the read, the fold, the answer and the
 * compaction (the fold process yields to the busy document, so it takes longer than on an idle
 * server), and the first third of the sweep of the folded entries.
 */
const BUSY_WINDOW_MS = 10_000;
/**
 * The window without it is as long: a rare pause (a major garbage collection, a timer's work)
 * lands in either window as often, so the ratio is the big document's alone.
 */
const WINDOW_MS = BUSY_WINDOW_MS;
/** The big document is opened this long into the measured window. */
const OPEN_AFTER_MS = 300;

interface StallRun {
  readonly quietP99: number;
  readonly busyP99: number;
  readonly quietP50: number;
  readonly busyP50: number;
  readonly openMs: number;
  readonly lost: number;
}

export async function bigDocStall(ctx: BenchContext): Promise<ScenarioOutput> {
  ctx.log('big document stall: preparing automerge-paper as a log');
  const trace = sequentialUpdates('automerge-paper');
  const goldens = await prepare(ctx, 'tandem', trace, sequentialUpdates('seph-blog1').snapshot);
  const golden = goldens[0]!; // the uncompacted log
  const runs: StallRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < ctx.profile.coldLoad.reps; rep += 1) {
    ctx.log(`big document stall: rep ${rep + 1}`);
    const dir = freshDataDir(ctx, 'tandem');
    cpSync(golden.dir, dir, { recursive: true });
    const server = await startPeer(ctx, 'tandem', dir);
    const load = await startLoadGenerator({ cpu: 1, timeoutMs: 180_000 });
    try {
      const busy = await server.createDoc();
      await load.run({ kind: 'connect', targets: [busy], clientsPerTarget: CLIENTS, presence: false, stockPerTarget: 2, keptPerTarget: 0, concurrency: 25, timeoutMs: 60_000 });
      // Warm-up, then the quiet window.
      await load.run({ kind: 'type', rate: RATE, durationMs: 1_000, drainTimeoutMs: 10_000 });
      const quiet = await load.run({ kind: 'type', rate: RATE, durationMs: WINDOW_MS, drainTimeoutMs: 10_000 });
      const opening = (async () => {
        await sleep(OPEN_AFTER_MS);
        return openUntilSynced(server.existingDoc(golden.name, golden.params));
      })();
      const during = await load.run({ kind: 'type', rate: RATE, durationMs: BUSY_WINDOW_MS, drainTimeoutMs: 10_000 });
      const openMs = await opening;
      if (OPEN_AFTER_MS + openMs > BUSY_WINDOW_MS) failures.push(`big document stall rep ${rep + 1}: the open (${Math.round(openMs)} ms) outlasted the window`);
      const q = Histogram.from(quiet.latency);
      const b = Histogram.from(during.latency);
      const lost = quiet.expected - quiet.delivered + (during.expected - during.delivered);
      if (lost > 0) failures.push(`big document stall rep ${rep + 1}: ${lost} deliveries lost`);
      runs.push({ quietP99: q.percentile(99), busyP99: b.percentile(99), quietP50: q.percentile(50), busyP50: b.percentile(50), openMs, lost });
    } catch (error) {
      failures.push(`big document stall rep ${rep + 1}: ${(error as Error).message.split('\n')[0]}`);
    } finally {
      await load.stop();
      await server.stop();
    }
  }
  const ok = runs.filter((r) => r.lost === 0);
  const quiet = spread(ok.map((r) => r.quietP99));
  const busy = spread(ok.map((r) => r.busyP99));
  const ratio = spread(ok.map((r) => r.busyP99 / r.quietP99));
  const open = spread(ok.map((r) => r.openMs));
  const targets: TargetResult[] = [
    {
      scenario: 'big document loading and compacting next to a busy one',
      target: 'busy document p99 ≤ 1.2× its p99 without the big one',
      ours: `${num(busy.median)} ms`,
      reference: `${num(quiet.median)} ms`,
      // Three digits: the target is a bound at 1.2, which two would round onto.
      ratio: `${num(ratio.median)}×`,
      met: ok.length > 0 ? ratio.median <= 1.2 : null,
    },
  ];
  const markdown = [
    `One busy document with ${CLIENTS} clients (2 stock, the rest light), ${RATE} one-character edits/s in total, presence off, on ` +
      `a server whose SQLite file also holds automerge-paper as its ${trace.updates.length.toLocaleString('en-US')}-update log ` +
      `(written as in the cold-load scenario). p99 of delivery on the busy document over ${WINDOW_MS / 1000} s without anything else, then ` +
      `over ${BUSY_WINDOW_MS / 1000} s in which, ${OPEN_AFTER_MS} ms in, one more client opens automerge-paper (a raw socket: sync step 1, ` +
      `wait for step 2, so the client's own decoding does not load the load generator's core). The server then reads the log and ` +
      `folds it into a snapshot (in its fold process, in the idle CPU class, so on the server's one core it takes the time ` +
      `the busy document leaves over), serves it, stores it as the compaction and deletes the folded entries in 1 ms slices, 20 a second; the ` +
      `window holds the read, the fold, the answer and the compaction, and the first part of the deleting (260k entries take about 30 s). "open" is that client's connect to step 2. The ratio is taken in each ` +
      `repetition (busy p99 over that repetition's quiet p99); the target reads its median.`,
    '',
    table(
      ['', 'p99 without', 'p99 while the big one opens', 'ratio (per repetition)', 'open (connect → step 2)'],
      [['Tandem', spreadText(quiet, 'ms'), spreadText(busy, 'ms'), spreadText(ratio, '×'), spreadText(open, 'ms')]],
    ),
  ].join('\n');
  return { id: 'big-doc-stall', title: 'Big document next to a busy one', markdown, targets, charts: [], failures, raw: runs };
}

/** Opens `target` with a bare socket and resolves with the time until the server's sync step 2. */
function openUntilSynced(target: DocTarget): Promise<number> {
  const query = new URLSearchParams(target.params).toString();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('the big document did not open within 60 s'));
    }, 60_000);
    const socket = new RawSocket(`${target.url}/${target.name}${query ? `?${query}` : ''}`, {
      open: () => {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, 0); // sync
        encoding.writeVarUint(encoder, 0); // step 1
        encoding.writeVarUint8Array(encoder, new Uint8Array([0])); // empty state vector
        socket.send(encoding.toUint8Array(encoder));
      },
      message: (data, start) => {
        if (data[start] === 0 && data[start + 1] === 1) {
          clearTimeout(timer);
          socket.close();
          resolve(performance.now() - started);
        }
      },
      error: (error) => {
        clearTimeout(timer);
        reject(error);
      },
      close: () => {},
    });
  });
}
