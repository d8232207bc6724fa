/**
 * Real concurrent editing: the friendsforever and clownschool traces replayed through the server
 * by their agents, each a stock client, at full speed (an agent edits as soon as it has received
 * what the trace says it had seen). Then the server is restarted and a new client loads the
 * document cold. The final text must equal the trace's endContent everywhere.
 */
import { freshDataDir, startPeer, waitForQuietDir, type BenchContext } from '../harness/context';
import { spread } from '../harness/stats';
import { startLoadGenerator } from '../load/load-generator';
import { PEERS, type PeerId } from '../peers/peers';
import { spreadText, table } from '../report/format';
import type { ScenarioOutput, TargetResult } from '../report/types';
import { concurrentUpdates } from '../load/traces';

const TRACES = ['friendsforever', 'clownschool'] as const;

interface TraceRun {
  readonly peer: PeerId;
  readonly trace: string;
  readonly ms: number;
  readonly txns: number;
  readonly agents: number;
  readonly everyClient: boolean;
  /** null where the server keeps nothing (the relay). */
  readonly afterColdLoad: boolean | null;
}

export async function concurrentTraces(ctx: BenchContext): Promise<ScenarioOutput> {
  const endContents = new Map(TRACES.map((name) => [name, concurrentUpdates(name).endContent]));
  const runs: TraceRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < ctx.profile.traces.reps; rep += 1) {
    for (const trace of TRACES) {
      for (const peer of ctx.peers) {
        // The relay does not answer sync requests with content, so a late joiner gets nothing;
        // it still relays the replay between agents that are all connected first.
        ctx.log(`traces: ${trace} through ${PEERS[peer].label}, rep ${rep + 1}`);
        try {
          const run = await replayOnce(ctx, peer, trace, endContents.get(trace)!);
          runs.push(run);
          if (!run.everyClient) failures.push(`${trace} through ${PEERS[peer].label}: an agent's text differs from endContent`);
          if (run.afterColdLoad === false) failures.push(`${trace} through ${PEERS[peer].label}: text after a cold load differs from endContent`);
        } catch (error) {
          failures.push(`${trace} through ${PEERS[peer].label}: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  return report(ctx, runs, failures);
}

async function replayOnce(ctx: BenchContext, peer: PeerId, trace: string, endContent: string): Promise<TraceRun> {
  const dir = freshDataDir(ctx, peer);
  let server = await startPeer(ctx, peer, dir);
  const load = await startLoadGenerator({ cpu: 1, timeoutMs: 180_000 });
  try {
    const target = await server.createDoc();
    const replayed = await load.run({ kind: 'replay', target, trace, timeoutMs: 120_000 });
    let afterColdLoad: boolean | null = null;
    if (PEERS[peer].stores) {
      // Let the server finish writing (its data directory quiet for 1 s; Hocuspocus's store
      // debounce is 2 s), stop it the way an operator would, start it again.
      await waitForQuietDir(dir, 2_500, 30_000);
      await server.stop();
      server = await startPeer(ctx, peer, dir);
      const loaded = await load.run({
        kind: 'cold-load',
        target: server.existingDoc(target.name, target.params),
        timeoutMs: 60_000,
        returnText: true,
        expectedLength: endContent.length,
      });
      afterColdLoad = loaded.text === endContent;
      if (!afterColdLoad) ctx.log(`  cold load gave ${loaded.length} of ${endContent.length} characters`);
    }
    return {
      peer,
      trace,
      ms: replayed.ms,
      txns: replayed.txns,
      agents: replayed.agents,
      everyClient: replayed.matches.every(Boolean),
      afterColdLoad,
    };
  } finally {
    await load.stop();
    await server.stop();
  }
}

function report(ctx: BenchContext, runs: readonly TraceRun[], failures: readonly string[]): ScenarioOutput {
  const rows: string[][] = [];
  const targets: TargetResult[] = [];
  for (const trace of TRACES) {
    for (const peer of ctx.peers) {
      const mine = runs.filter((r) => r.trace === trace && r.peer === peer);
      if (mine.length === 0) continue;
      const first = mine[0]!;
      const clients = mine.every((r) => r.everyClient);
      const cold = mine.map((r) => r.afterColdLoad);
      rows.push([
        trace,
        PEERS[peer].label,
        `${first.txns.toLocaleString('en-US')} txns, ${first.agents} agents`,
        spreadText(spread(mine.filter((r) => r.everyClient).map((r) => r.ms)), 'ms'),
        clients ? 'yes' : '**no**',
        cold.includes(null) ? 'n/a (stores nothing)' : cold.every(Boolean) ? 'yes' : '**no**',
      ]);
    }
    const ours = runs.filter((r) => r.trace === trace && r.peer === 'tandem');
    targets.push({
      scenario: `real concurrent editing, ${trace}`,
      target: 'final text = endContent in every client and after a cold load',
      ours: ours.length === 0 ? 'did not run' : ours.every((r) => r.everyClient && r.afterColdLoad === true) ? 'equal everywhere' : 'differs',
      reference: 'endContent',
      ratio: '',
      met: ours.length === 0 ? null : ours.every((r) => r.everyClient && r.afterColdLoad === true),
    });
  }
  const markdown = [
    'Each agent of the trace is a stock client of the server under test. The trace is first turned into Yjs updates (each ' +
      "agent's Y.Doc merges exactly its transaction's ancestors before editing, so positions mean what they meant); the agents " +
      'then send them through the server at full speed, each transaction as soon as its agent has received every transaction ' +
      'of another agent that it depends on. Time: from the first edit until every agent holds the end content. Then the server ' +
      'is stopped (SIGTERM), started again on its data, and a new client loads the document. ' +
      `${ctx.profile.traces.reps} repetition${ctx.profile.traces.reps > 1 ? 's' : ''}.`,
    '',
    table(['trace', 'server', 'size', 'time', 'every client = endContent', 'after cold load'], rows),
  ].join('\n');
  return { id: 'traces', title: 'Real concurrent editing', markdown, targets, charts: [], failures, raw: runs };
}
