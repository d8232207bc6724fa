/**
 * Durable writes: how many updates per second Tandem commits to SQLite, each before it is
 * relayed, and how long a writer waits for the acknowledgement. Tandem only: the peers do not
 * acknowledge durability per update (Hocuspocus stores the whole document on a 2 s debounce;
 * the y-websocket server writes to LevelDB without telling the client; the relay stores nothing).
 */
import { withServerAndLoad, type BenchContext } from '../harness/context';
import { PREPARED_FOR_RATE } from '../load/durable';
import { cpuBetween, sampleCpu, waitForIdleProcess } from '../harness/proc-stats';
import { Histogram, spread } from '../harness/stats';
import { num, spreadText, table } from '../report/format';
import type { ScenarioOutput, TargetResult } from '../report/types';

const TARGET_RATE = 100_000;
/** Unacknowledged updates per writer: deep enough that the server, not the window, sets the pace. */
const WINDOW = 2_000;
/** The server counts as idle again below this share of its core over a second. */
const IDLE_SHARE = 0.15;

/**
 * Measured from CPU profiles of this scenario (`--profile`, three servers, 2026-12-03), as shares
 * of the main thread's busy time after start-up; written here so the report explains its
 * numbers. Compare runs by "server CPU per update" in the table.
 */
const WHERE_THE_TIME_GOES =
  "Where a committed update's server time goes (CPU profiles, `--profile`, three servers). On the main thread: " +
  'SQLite about 38 % (about three fifths appending: INSERTs of 64 rows per statement and COMMIT with its WAL writes, ' +
  '`synchronous = NORMAL` fsyncs only at checkpoints, which a thread of their own runs; the rest deleting rows a compaction folded, in 1 ms slices), ' +
  'garbage collection 21 %, WebSocket receive 11 %, Yjs 7 % (the updates of one socket read wait for the end of the ' +
  "read, and a writer's typing among them is integrated as one insertion), the room's bookkeeping 6 %, the committer " +
  "4 %, reading each update's outline (its structs' ids and references, for the dependency check) 4 %, metrics 2 %, " +
  'the relay and the saved acknowledgement after the commit 2 %. Beside it, the fold process folds each log that ' +
  'has outgrown its snapshot: it reads every row back (about 40 % of its time) and applies it with Yjs (about 30 %), ' +
  'about as much CPU again per update, in the idle CPU class (the table counts it as server CPU); the row "afterwards" is the part of it still to do ' +
  'when the writers stop. Nothing waits on an fsync per commit.';

interface DurableRun {
  readonly rep: number;
  /** 'max': as fast as acknowledgements come; 'paced': offered at the target rate. */
  readonly phase: 'max' | 'paced';
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly committed: number;
  readonly sent: number;
  /** Server CPU time (every thread) from the first send to the last acknowledgement, as a share of its core. */
  readonly serverCpuShare: number;
  /** The same CPU time divided by the updates committed. */
  readonly serverCpuPerUpdateUs: number;
  /** Server CPU time after the last acknowledgement until it went idle (compacting the logs just written), per update. */
  readonly serverCpuAfterPerUpdateUs: number;
  readonly loadCpuShare: number;
  readonly preparedWhileMeasuring: number;
}

export async function durableWrites(ctx: BenchContext): Promise<ScenarioOutput> {
  const config = ctx.profile.durable;
  const runs: DurableRun[] = [];
  const failures: string[] = [];
  if (!ctx.peers.includes('tandem')) throw new Error('durable writes measures Tandem only');
  for (let rep = 0; rep < config.reps; rep += 1) {
    // One server per repetition: "max" first (it also warms the server up), then "paced" on fresh documents.
    try {
      await withServerAndLoad(ctx, 'tandem', async (server, load) => {
        for (const phase of ['max', 'paced'] as const) {
          ctx.log(`durable writes: Tandem, ${config.clients} writers, ${phase === 'max' ? 'as fast as it commits' : `offered ${TARGET_RATE}/s`}, rep ${rep + 1}`);
          const docs = await server.createDocs(config.clients);
          const targets = docs.map((d) => ({ ...d, params: { ...d.params, saved: '1' } }));
          const cpu = sampleCpu(server.proc.pid, 50);
          const result = await load.run({
            kind: 'durable',
            targets,
            durationMs: config.durationMs,
            window: WINDOW,
            rate: phase === 'paced' ? TARGET_RATE : undefined,
            timeoutMs: 15_000,
          });
          // What the phase leaves the server (folding the logs it wrote into snapshots, in its
          // worker) is counted apart, and finished before the next phase starts. Deleting the
          // folded rows goes on for minutes at about 2 % of a core, below the threshold.
          const idle = await waitForIdleProcess(server.proc.pid, IDLE_SHARE, 1_000, 60_000);
          if (!idle) failures.push(`durable writes ${phase} rep ${rep + 1}: the server was still busy 60 s after the last acknowledgement`);
          const samples = cpu.stop();
          const measuredCpuMs = cpuBetween(samples, result.startedAtEpochMs, result.endedAtEpochMs);
          const afterCpuMs = cpuBetween(samples, result.endedAtEpochMs, samples.at(-1)!.atEpochMs);
          const latency = Histogram.from(result.latency);
          if (result.committed < result.sent) {
            failures.push(`durable writes ${phase} rep ${rep + 1}: ${result.sent - result.committed} updates never acknowledged`);
          }
          runs.push({
            rep,
            phase,
            rate: (result.committed * 1000) / result.wallMs,
            p50: latency.percentile(50),
            p99: latency.percentile(99),
            committed: result.committed,
            sent: result.sent,
            serverCpuShare: measuredCpuMs / result.wallMs,
            serverCpuPerUpdateUs: (measuredCpuMs * 1000) / result.committed,
            serverCpuAfterPerUpdateUs: (afterCpuMs * 1000) / result.committed,
            loadCpuShare: result.loadCpuShare,
            preparedWhileMeasuring: result.preparedWhileMeasuring,
          });
        }
      }, { timeoutMs: 400_000 });
    } catch (error) {
      failures.push(`durable writes rep ${rep + 1}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const max = runs.filter((r) => r.phase === 'max');
  const paced = runs.filter((r) => r.phase === 'paced');
  const rate = spread(max.map((r) => r.rate));
  const targets: TargetResult[] = [
    {
      scenario: 'durable writes, SQLite',
      target: `≥ ${TARGET_RATE.toLocaleString('en-US')} updates/s committed, each before it is relayed`,
      ours: `${num(rate.median)} updates/s`,
      reference: `${TARGET_RATE.toLocaleString('en-US')} updates/s`,
      ratio: `${num(rate.median / TARGET_RATE, 2)}×`,
      met: Number.isFinite(rate.median) ? rate.median >= TARGET_RATE : null,
    },
  ];
  const column = (rs: readonly DurableRun[]): string[] => [
    spreadText(spread(rs.map((r) => r.rate))),
    spreadText(spread(rs.map((r) => r.p50)), 'ms'),
    spreadText(spread(rs.map((r) => r.p99)), 'ms'),
    `${num(spread(rs.map((r) => r.serverCpuShare)).median * 100, 2)} %`,
    `${num(spread(rs.map((r) => r.serverCpuPerUpdateUs)).median, 2)} µs`,
    `${num(spread(rs.map((r) => r.serverCpuAfterPerUpdateUs)).median, 2)} µs`,
    `${num(spread(rs.map((r) => r.loadCpuShare)).median * 100, 2)} %`,
    `${Math.max(...rs.map((r) => r.preparedWhileMeasuring)).toLocaleString('en-US')}`,
  ];
  const maxColumn = column(max);
  const pacedColumn = column(paced);
  const markdown = [
    `${config.clients} documents with one writer each (light clients, \`saved=1\`), sending one-character updates made ` +
      `beforehand (enough for ${PREPARED_FOR_RATE.toLocaleString('en-US')}/s, or the paced rate and a fifth more; any it had to make while measuring are counted below), for ${config.durationMs / 1000} s, at most ${WINDOW} unacknowledged per writer. Tandem acknowledges ` +
      `durability with its \`Saved\` message (the committed state vector). "Max": as fast as acknowledgements allow, ` +
      `rate = acknowledged updates / time from the first send to the last acknowledgement (its commit times are mostly ` +
      `queueing). "Paced": offered at ${TARGET_RATE.toLocaleString('en-US')} updates/s, the commit time a writer sees at the ` +
      `target rate. Commit time = update sent → acknowledgement received. SQLite in WAL mode, ` +
      '`synchronous = NORMAL` (Tandem\'s default). The peers have no per-update durability to compare with: Hocuspocus ' +
      'stores the whole document on a 2 s debounce, the y-websocket server writes LevelDB without telling anyone, the relay stores nothing.',
    '',
    WHERE_THE_TIME_GOES,
    '',
    table(
      ['Tandem', 'max', `paced at ${TARGET_RATE.toLocaleString('en-US')}/s`],
      [
        'updates/s committed',
        'commit time p50',
        'commit time p99',
        'server CPU while measuring',
        'server CPU per update while measuring',
        `server CPU per update afterwards (compacting what was written, until below ${IDLE_SHARE * 100} % of its core)`,
        'load gen CPU',
        'updates made while measuring (most in a repetition)',
      ].map((label, i) => [label, maxColumn[i]!, pacedColumn[i]!]),
    ),
  ].join('\n');
  return { id: 'durable', title: 'Durable writes', markdown, targets, charts: [], failures, raw: runs };
}
