/**
 * Breaking point: 500 clients on one document, the total edit rate raised step by step until p99
 * delivery latency passes the limit (or an edit is not delivered within the step's drain time).
 * The figure is the highest rate sustained within the limit.
 */
import { undisturbed, withServerAndLoad, type BenchContext } from '../harness/context';
import { cpuWindow, noiseWindow } from '../harness/proc-stats';
import { Histogram, spread } from '../harness/stats';
import { PEERS, type PeerId } from '../peers/peers';
import { num, ratioText, spreadText, table } from '../report/format';
import { lineChart } from '../report/svg-chart';
import type { ScenarioOutput, TargetResult } from '../report/types';

interface Step {
  readonly rate: number;
  readonly achievedRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly delivered: number;
  readonly expected: number;
  readonly serverCpuShare: number;
  readonly loadCpuShare: number;
  readonly otherCpuShare: number;
}

interface RampRun {
  readonly peer: PeerId;
  readonly rep: number;
  readonly steps: readonly Step[];
  /** Highest rate whose step stayed within the limit; 0 if none did. */
  readonly sustained: number;
  /** Why the ramp stopped. */
  readonly stoppedBy: string;
  /** The load generator used 80 % of its core or more at the last step: the figure is a lower bound. */
  readonly loadLimited: boolean;
  readonly converged: boolean;
}

/** Past this share of its core, the load generator may be what limits the ramp. */
const LOAD_LIMIT_SHARE = 0.8;

export async function breakingPoint(ctx: BenchContext): Promise<ScenarioOutput> {
  const config = ctx.profile.breaking;
  const runs: RampRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < config.reps; rep += 1) {
    for (const peer of ctx.peers) {
      ctx.log(`breaking point: ${PEERS[peer].label}, rep ${rep + 1}`);
      try {
        const run = await undisturbed(
          ctx,
          ctx.profile.name === 'full' ? 3 : 1,
          (r) => Math.max(0, ...r.steps.map((s) => s.otherCpuShare)),
          () => ramp(ctx, peer, rep),
        );
        runs.push(run);
        ctx.log(`  sustained ${run.sustained} edits/s; ${run.stoppedBy}`);
        if (!run.converged) failures.push(`breaking point ${PEERS[peer].label} rep ${rep + 1}: clients did not converge after the ramp`);
      } catch (error) {
        failures.push(`breaking point ${PEERS[peer].label} rep ${rep + 1}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  }
  return report(ctx, runs, failures);
}

async function ramp(ctx: BenchContext, peer: PeerId, rep: number): Promise<RampRun> {
  const config = ctx.profile.breaking;
  return withServerAndLoad(ctx, peer, async (server, load) => {
    const target = await server.createDoc();
    await load.run({
      kind: 'connect',
      targets: [target],
      clientsPerTarget: config.clients,
      presence: false,
      stockPerTarget: 2,
      keptPerTarget: 1,
      concurrency: 25,
      timeoutMs: 60_000,
    });
    const steps: Step[] = [];
    let sustained = 0;
    let stoppedBy = `reached the last step (${config.rates.at(-1)} edits/s) within the limit`;
    for (const rate of config.rates) {
      const cpu = cpuWindow(server.proc.pid);
      const noise = noiseWindow([server.proc.pid, load.proc.pid, process.pid]);
      const typed = await load.run({ kind: 'type', rate, durationMs: config.stepMs, drainTimeoutMs: 2_000 });
      const used = cpu.stop();
      const latency = Histogram.from(typed.latency);
      const step: Step = {
        rate,
        achievedRate: typed.achievedRate,
        p50: latency.percentile(50),
        p99: latency.percentile(99),
        delivered: typed.delivered,
        expected: typed.expected,
        serverCpuShare: used.cpuMs / used.wallMs,
        loadCpuShare: typed.loadCpuShare,
        otherCpuShare: noise.stop(),
      };
      steps.push(step);
      if (typed.delivered < typed.expected) {
        stoppedBy = `at ${rate} edits/s ${typed.expected - typed.delivered} deliveries were still missing 2 s after the step`;
        break;
      }
      if (step.p99 > config.p99LimitMs) {
        stoppedBy = `p99 ${num(step.p99)} ms at ${rate} edits/s`;
        break;
      }
      if (step.achievedRate < rate * 0.9) {
        stoppedBy = `the load generator could only make ${num(step.achievedRate)} of ${rate} edits/s`;
        break;
      }
      sustained = rate;
    }
    // Whatever the ramp did, everyone must end with the same document.
    const verified = await load.run({ kind: 'verify', timeoutMs: 60_000 });
    await load.run({ kind: 'close', timeoutMs: 10_000 });
    const last = steps.at(-1);
    const loadLimited = last !== undefined && last.loadCpuShare >= LOAD_LIMIT_SHARE;
    if (loadLimited) stoppedBy += `; the load generator was at ${num(last.loadCpuShare * 100, 2)} % of its core (a lower bound)`;
    return { peer, rep, steps, sustained, stoppedBy, loadLimited, converged: verified.converged };
  });
}

function report(ctx: BenchContext, runs: readonly RampRun[], failures: readonly string[]): ScenarioOutput {
  const config = ctx.profile.breaking;
  const sustained = (peer: PeerId) => spread(runs.filter((r) => r.peer === peer).map((r) => r.sustained));
  const rows = ctx.peers.map((peer) => {
    const last = runs.filter((r) => r.peer === peer).at(-1);
    const s = sustained(peer);
    return [
      PEERS[peer].label,
      spreadText(s, 'edits/s'),
      peer === 'tandem' ? '' : ratioText(sustained('tandem').median, s.median),
      `${num(s.median * (config.clients - 1))} /s`,
      last?.stoppedBy ?? 'failed',
    ];
  });
  const stepRows = runs
    .filter((r) => r.rep === 0)
    .flatMap((r) =>
      r.steps.map((s) => [
        PEERS[r.peer].label,
        String(s.rate),
        num(s.achievedRate),
        `${num(s.p50)} ms`,
        `${num(s.p99)} ms`,
        `${s.delivered}/${s.expected}`,
        `${num(s.serverCpuShare * 100, 2)} %`,
        `${num(s.loadCpuShare * 100, 2)} %`,
        `${num(s.otherCpuShare * 100, 2)} %`,
      ]),
    );
  const targets: TargetResult[] = [];
  const ours = sustained('tandem').median;
  const oursLowerBound = runs.some((r) => r.peer === 'tandem' && r.loadLimited);
  if (ctx.peers.includes('hocuspocus')) {
    const theirs = sustained('hocuspocus').median;
    const met = Number.isFinite(ours) && Number.isFinite(theirs) ? ours >= 2 * theirs : null;
    targets.push({
      scenario: `breaking point, ${config.clients} clients`,
      target: 'sustained edits/s ≥ 2× Hocuspocus',
      ours: `${oursLowerBound ? '≥ ' : ''}${num(ours)} edits/s`,
      reference: `Hocuspocus ${num(theirs)} edits/s`,
      ratio: ratioText(ours, theirs),
      // A figure the load generator limited is a lower bound: not counted as met.
      met: oursLowerBound && met ? false : met,
      note: theirs === 0 ? 'Hocuspocus failed the first step' : oursLowerBound ? `lower bound: the load generator reached ${LOAD_LIMIT_SHARE * 100} % of its core` : undefined,
    });
  }
  if (ctx.peers.includes('relay')) {
    const floor = sustained('relay').median;
    targets.push({
      scenario: `breaking point, ${config.clients} clients`,
      target: 'within 2× of the bare ws relay',
      ours: `${num(ours)} edits/s`,
      reference: `relay ${num(floor)} edits/s`,
      ratio: ratioText(ours, floor),
      met: Number.isFinite(ours) && Number.isFinite(floor) ? ours * 2 >= floor : null,
    });
  }
  const chart = {
    file: 'breaking-point-latency.svg',
    caption: `p99 delivery latency vs total edit rate, ${config.clients} clients on one document`,
    svg: lineChart({
      title: `Breaking point: p99 latency vs edit rate (${config.clients} clients)`,
      xLabel: 'edits per second (all clients together)',
      yLabel: 'p99 delivery latency (ms)',
      logX: true,
      logY: true,
      hLine: { y: config.p99LimitMs, label: `${config.p99LimitMs} ms limit` },
      series: ctx.peers.map((peer) => ({
        name: PEERS[peer].label,
        dashed: peer === 'relay',
        points: (runs.find((r) => r.peer === peer && r.rep === 0)?.steps ?? []).map((s) => ({ x: s.rate, y: s.p99 })),
      })),
    }),
  };
  const markdown = [
    `${config.clients} clients on one document, presence off, every client typing in turn. The total rate steps through ` +
      `${config.rates.join(', ')} edits/s, ${config.stepMs / 1000} s per step, on the same connections; a step passes if its p99 ` +
      `delivery latency is at most ${config.p99LimitMs} ms and every delivery has arrived within 2 s of its end. "Sustained" is the ` +
      `last step passed. Deliveries per second = rate × ${config.clients - 1}. If the load generator's share of its core is ` +
      `${LOAD_LIMIT_SHARE * 100} % or more at the breaking step, the figure is a lower bound for that server.`,
    '',
    table(['server', 'sustained', 'Tandem / this', 'deliveries', 'stopped by'], rows),
    '',
    'Steps of the first repetition:',
    '',
    table(['server', 'target rate', 'made', 'p50', 'p99', 'delivered', 'server CPU', 'load gen CPU', 'other CPU'], stepRows),
  ].join('\n');
  return { id: 'breaking', title: 'Breaking point', markdown, targets, charts: [chart], failures, raw: runs };
}
