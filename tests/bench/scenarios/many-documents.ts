/**
 * Many documents: documents opened in steps, two clients each (one edit each, presence on), RSS
 * measured after every step; then every client closes and RSS is measured again after a while.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { settledRss, sleep, withServerAndLoad, LOAD_CPU, type BenchContext } from '../harness/context';
import { memory } from '../harness/proc-stats';
import { spread } from '../harness/stats';
import { startLoadGenerator, type LoadGenerator } from '../load/load-generator';
import { PEERS, type DocTarget, type PeerId } from '../peers/peers';
import { bytes, num, ratioText, table } from '../report/format';
import { lineChart } from '../report/svg-chart';
import type { ScenarioOutput, TargetResult } from '../report/types';

/** Share of the open-documents growth still held after close that still counts as "returned". */
const RETURNED_AT_MOST = 0.25;
/** Each load generator holds at most this many documents (two sockets each, under the 20,000-file limit). */
const DOCS_PER_LOAD_GENERATOR = 6_000;
/**
 * How long the whole run may take, servers and load generators included. Opening 9,950
 * documents took Tandem and Hocuspocus 4 to 8 minutes on a machine other work kept busy
 * (about 50 connections a second); every process gets the same deadline.
 */
const RUN_TIMEOUT_MS = 1_800_000;
/**
 * How long a step waits for every edit to reach every client before reading RSS. Hocuspocus held
 * its event loop for 43 s after the 9,950-document step's edits (on a machine other work kept busy).
 */
const DELIVERED_TIMEOUT_MS = 120_000;
/** Connecting one step's clients: a minute, plus 100 ms per client (twice that busy rate). */
const connectTimeoutMs = (clients: number): number => 60_000 + clients * 100;

interface ManyRun {
  readonly peer: PeerId;
  readonly rep: number;
  readonly baseline: number;
  readonly steps: readonly { readonly docs: number; readonly rss: number }[];
  readonly afterClose: number;
  readonly perDoc: number;
  /** (RSS after close − baseline) / (RSS with all open − baseline). */
  readonly retained: number;
  readonly converged: boolean;
  /** What the first load generator that found a difference said (empty when converged). */
  readonly divergence: string;
}

/**
 * Where every server keeps its data in this scenario: memory (tmpfs), not the disk. It measures
 * memory, and a slow disk would decide it instead: Hocuspocus's SQLite extension stores each
 * document synchronously (better-sqlite3, rollback journal, an fsync or more per store), so the
 * step after 4,000 documents get an edit blocked its event loop for over a minute on a VM disk
 * taking 10 ms per store; its 60 s idle timeout then closed thousands of connections, and their
 * reconnecting all at once overflowed the listen queue, so the next step could not connect.
 */
function memoryBackedDir(ctx: BenchContext): string {
  if (!existsSync('/dev/shm')) return ctx.tmpDir;
  const dir = mkdtempSync(join('/dev/shm', 'tandem-bench-many-docs-'));
  // It holds memory until removed: remove it even when the run is interrupted.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function manyDocuments(ctx: BenchContext): Promise<ScenarioOutput> {
  const runs: ManyRun[] = [];
  const failures: string[] = [];
  const dataRoot = memoryBackedDir(ctx);
  try {
    // One repetition: the largest scenario, and its figures vary little.
    for (const peer of ctx.peers) {
      ctx.log(`many documents: ${PEERS[peer].label}`);
      try {
        const run = await manyRun(ctx, peer, 0, dataRoot);
        runs.push(run);
        if (!run.converged) failures.push(`many documents ${PEERS[peer].label}: clients did not converge (${run.divergence})`);
      } catch (error) {
        // The report keeps the first line; the log keeps the rest (the failed process's last output).
        ctx.log(`many documents: ${PEERS[peer].label} failed: ${(error as Error).message}`);
        failures.push(`many documents ${PEERS[peer].label}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    if (dataRoot !== ctx.tmpDir) rmSync(dataRoot, { recursive: true, force: true });
  }
  return report(ctx, runs, failures);
}

async function manyRun(ctx: BenchContext, peer: PeerId, rep: number, dataRoot: string): Promise<ManyRun> {
  const { docs: steps, settleMs } = ctx.profile.manyDocs;
  const most = Math.max(...steps);
  return withServerAndLoad(
    ctx,
    peer,
    async (server, firstLoad) => {
      const loads: LoadGenerator[] = [firstLoad];
      try {
        for (let i = 1; i < Math.ceil(most / DOCS_PER_LOAD_GENERATOR); i += 1) {
          loads.push(await startLoadGenerator({ cpu: LOAD_CPU, timeoutMs: RUN_TIMEOUT_MS, name: `load-generator-${i + 1}` }));
        }
        const baseline = await settledRss(server, 1_000);
        const measured: { docs: number; rss: number }[] = [];
        let open = 0;
        for (const docs of steps) {
          const fresh: DocTarget[] = await server.createDocs(docs - open);
          // Split across load generators, filling each in turn.
          const connects: Promise<unknown>[] = [];
          let from = 0;
          for (const [i, load] of loads.entries()) {
            const room = Math.max(0, (i + 1) * DOCS_PER_LOAD_GENERATOR - open - from);
            const part = fresh.slice(from, from + room);
            from += part.length;
            if (part.length === 0) continue;
            connects.push(
              load.run({
                kind: 'connect',
                targets: part,
                clientsPerTarget: 2,
                presence: true,
                stockPerTarget: 1,
                keptPerTarget: 0,
                concurrency: 50,
                timeoutMs: connectTimeoutMs(part.length * 2),
              }),
            );
          }
          await Promise.all(connects);
          open = docs;
          // Every client of every open document makes one edit, once all are connected.
          await Promise.all(
            loads.map((load, i) => {
              const held = Math.max(0, Math.min(DOCS_PER_LOAD_GENERATOR, open - i * DOCS_PER_LOAD_GENERATOR));
              if (held === 0) return Promise.resolve();
              return load.run({ kind: 'type', rate: 4_000, durationMs: (held * 2 * 1000) / 4_000, drainTimeoutMs: 20_000 });
            }),
          );
          // A server that falls behind is still at work when the type step stops waiting: RSS is
          // read once every client has every edit (or this deadline passed), then a settle.
          await Promise.all(loads.map((load) => load.run({ kind: 'verify', timeoutMs: DELIVERED_TIMEOUT_MS })));
          const rss = await settledRss(server, settleMs);
          measured.push({ docs, rss });
          ctx.log(`  ${docs} documents open: RSS ${bytes(rss)}`);
        }
        const verified = await Promise.all(loads.map((load) => load.run({ kind: 'verify', timeoutMs: 30_000 })));
        await Promise.all(loads.map((load) => load.run({ kind: 'close', timeoutMs: 30_000 })));
        // Long enough for Hocuspocus's store debounce, unload timers and V8's idle-time memory reducer.
        await sleep(ctx.profile.manyDocs.closeWaitMs);
        const afterClose = memory(server.proc.pid).rss;
        const top = measured.at(-1)!;
        return {
          peer,
          rep,
          baseline,
          steps: measured,
          afterClose,
          perDoc: (top.rss - baseline) / top.docs,
          retained: (afterClose - baseline) / Math.max(1, top.rss - baseline),
          converged: verified.every((v) => v.converged),
          divergence: verified.find((v) => !v.converged)?.detail ?? '',
        };
      } finally {
        for (const load of loads.slice(1)) await load.stop();
      }
    },
    { timeoutMs: RUN_TIMEOUT_MS, dataRoot },
  );
}

function report(ctx: BenchContext, runs: readonly ManyRun[], failures: readonly string[]): ScenarioOutput {
  const { docs: steps, settleMs, closeWaitMs } = ctx.profile.manyDocs;
  const most = Math.max(...steps);
  const of = (peer: PeerId) => runs.filter((r) => r.peer === peer);
  // A run that lost deliveries is listed as failed and left out of the figures.
  const perDoc = (peer: PeerId) => spread(of(peer).filter((r) => r.converged).map((r) => r.perDoc)).median;
  const rows = ctx.peers.map((peer) => {
    const run = of(peer)[0];
    if (!run) return [PEERS[peer].label, 'failed', '', '', '', ''];
    return [
      PEERS[peer].label,
      bytes(run.baseline),
      bytes(run.steps.at(-1)!.rss),
      `${bytes(run.perDoc)}${peer === 'tandem' ? '' : ` (${ratioText(perDoc('tandem'), run.perDoc)})`}`,
      bytes(run.afterClose),
      `${num(run.retained * 100, 2)} %`,
    ];
  });
  const targets: TargetResult[] = [];
  const ours = of('tandem').find((r) => r.converged);
  if (ctx.peers.includes('hocuspocus')) {
    const theirs = perDoc('hocuspocus');
    targets.push({
      scenario: `many documents, ${most.toLocaleString('en-US')} × 2 clients`,
      target: 'RSS per open document ≤ ½ Hocuspocus',
      ours: bytes(perDoc('tandem')),
      reference: `Hocuspocus ${bytes(theirs)}`,
      ratio: ratioText(perDoc('tandem'), theirs),
      met: Number.isFinite(perDoc('tandem')) && Number.isFinite(theirs) ? perDoc('tandem') <= theirs / 2 : null,
    });
  }
  targets.push({
    scenario: `many documents, ${most.toLocaleString('en-US')} × 2 clients`,
    target: 'memory returns after close',
    ours: ours ? `${bytes(ours.afterClose - ours.baseline)} above baseline` : 'no run converged',
    reference: ours ? `≤ ${RETURNED_AT_MOST * 100} % of the ${bytes(ours.steps.at(-1)!.rss - ours.baseline)} growth` : '',
    ratio: ours ? `${num(ours.retained * 100, 2)} %` : '',
    met: ours ? ours.retained <= RETURNED_AT_MOST : null,
  });
  const chart = {
    file: 'memory-vs-documents.svg',
    caption: 'server RSS vs open documents (two clients each)',
    svg: lineChart({
      title: 'Many documents: server RSS vs open documents',
      xLabel: 'open documents (two clients each)',
      yLabel: 'RSS (MiB)',
      series: ctx.peers.map((peer) => {
        const run = of(peer)[0];
        return {
          name: PEERS[peer].label,
          dashed: peer === 'relay',
          points: run ? [{ x: 0, y: run.baseline / 2 ** 20 }, ...run.steps.map((s) => ({ x: s.docs, y: s.rss / 2 ** 20 }))] : [],
        };
      }),
    }),
  };
  const markdown = [
    `Documents opened in steps of ${steps.map((s) => s.toLocaleString('en-US')).join(', ')}, two clients each (one stock ` +
      `client and one light client, presence on; once all are connected every client makes one edit), RSS read ${settleMs / 1000} s after every client of ` +
      `the step has every edit (at most ${DELIVERED_TIMEOUT_MS / 1000} s). Data directories on tmpfs, so the disk does not decide it. RSS per open document = (RSS with ${most.toLocaleString('en-US')} open − RSS before the first) / ${most.toLocaleString('en-US')}. ` +
      `Then every client closes; "after close" is read ${closeWaitMs / 1000} s later, and memory counts as returned ` +
      `if at most ${RETURNED_AT_MOST * 100} % of the growth is still held. Node returns heap to the system only after a major GC, ` +
      'which an idle process may not run for a while; the figure is what an operator would see. One repetition (the largest scenario).',
    '',
    table(['server', 'before', `${most.toLocaleString('en-US')} open`, 'per open document', 'after close', 'still held'], rows),
  ].join('\n');
  return { id: 'many-docs', title: 'Many documents', markdown, targets, charts: [chart], failures, raw: runs };
}
