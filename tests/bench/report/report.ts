/** Assembles the Markdown report: machine, targets at a glance, then every scenario. */
import { cpus, totalmem, release, loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';
import { PEERS, type PeerId } from '../peers/peers';
import type { Profile } from '../profile';
import { bytes, metText, table } from './format';
import type { ScenarioOutput } from './types';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly kernel: string;
  readonly node: string;
  readonly commit: string;
  /** The working tree differs from the commit (a full run refuses to start then). */
  readonly dirty: boolean;
  /** /proc/loadavg when the run started: other work on the machine disturbs every figure. */
  readonly loadAverage: string;
  /** Other processes' CPU before the run (share of one core), measured by run.ts. */
  readonly baselineNoise?: number;
}

export function describeMachine(): Machine {
  const run = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return '';
    }
  };
  const commit = run('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = run('git', ['status', '--porcelain']) !== '';
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory: bytes(totalmem()),
    kernel: release(),
    node: process.version,
    commit: commit ? `${commit}${dirty ? ' (with uncommitted changes)' : ''}` : 'no commit yet (working tree)',
    dirty,
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

export interface ReportInput {
  readonly profile: Profile;
  readonly machine: Machine;
  readonly peers: readonly PeerId[];
  readonly outputs: readonly ScenarioOutput[];
  readonly startedAt: Date;
  readonly durationMs: number;
  /** Path from the report to the chart files. */
  readonly chartsPath: string;
  /** Scenarios that could not run at all, with the reason. */
  readonly skipped: readonly string[];
}

export function buildReport(input: ReportInput): string {
  const { machine, profile } = input;
  const out: string[] = [];
  out.push(
    '# Tandem benchmarks',
    '',
    `Mode \`${profile.name}\` (\`npm run bench -- --${profile.name}\`), ${input.startedAt.toISOString()}, ` +
      `${Math.round(input.durationMs / 1000)} s. Every figure is the median of ${profile.reps > 1 ? `${profile.reps} repetitions with their range in parentheses` : 'one repetition (quick mode; `--full` repeats)'} unless the section says otherwise.`,
    '',
    '## Machine and method',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${machine.cpu}, ${machine.cores} cores`],
        ['memory', machine.memory],
        ['kernel', `Linux ${machine.kernel}`],
        ['Node.js', machine.node],
        ['Tandem', machine.commit],
        ['load average at start', `${machine.loadAverage} (1, 5, 15 min)`],
        ['other processes before the run', machine.baselineNoise === undefined ? '–' : `${Math.round(machine.baselineNoise * 100)} % of a core`],
      ],
    ),
    '',
    'Each server runs in its own process pinned to core 0 (`taskset -c 0`); the load generator, which holds every client, ' +
      'runs in another pinned to core 1; all on 127.0.0.1. Server CPU time and RSS are read from `/proc/<pid>/stat` and ' +
      '`/proc/<pid>/status`. Every process has a hard time limit and is killed at the end. A run that loses a delivery or ' +
      'whose clients disagree at the end counts as failed and its figures are left out (listed under Failures).',
    '',
    '### Servers',
    '',
    table(
      ['server', 'set up', 'clients'],
      input.peers.map((peer) => [PEERS[peer].label, PEERS[peer].setup, PEERS[peer].clients]),
    ),
    '',
  );
  const targets = input.outputs.flatMap((o) => o.targets);
  out.push('## Targets', '');
  if (targets.length === 0) out.push('No target could be checked in this run.', '');
  else {
    out.push(
      table(
        ['scenario', 'target', 'Tandem', 'reference', 'ratio', 'result'],
        targets.map((t) => [t.scenario, t.target, t.ours, t.reference, t.ratio, `${metText(t.met)}${t.note ? ` (${t.note})` : ''}`]),
      ),
      '',
    );
    const missed = targets.filter((t) => t.met === false).length;
    const met = targets.filter((t) => t.met === true).length;
    out.push(`${met} met, ${missed} missed, ${targets.length - met - missed} not measured.`, '');
  }
  const failures = input.outputs.flatMap((o) => o.failures);
  out.push('## Failures', '');
  out.push(failures.length === 0 ? 'None: every run converged and delivered every edit.' : failures.map((f) => `- ${f}`).join('\n'), '');
  if (input.skipped.length > 0) out.push('Not run:', '', input.skipped.map((s) => `- ${s}`).join('\n'), '');
  for (const output of input.outputs) {
    out.push(`## ${output.title}`, '', output.markdown, '');
    for (const chart of output.charts) out.push(`![${chart.caption}](${input.chartsPath}/${chart.file})`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
