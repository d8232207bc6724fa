/**
 * `npm run bench [-- --quick | --full] [--only a,b] [--peers tandem,hocuspocus,...] [--profile]`
 *
 * Runs Tandem's server and its peers side by side under the same load and writes a Markdown
 * report with SVG charts to bench-results/<run>/ (and bench-results/latest/). `--full` also
 * rewrites BENCHMARKS.md at the repository root, with its charts in tests/bench/charts/.
 * `--profile` runs Tandem's server with `node --cpu-prof`; profiles land in the run directory.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { LOAD_CPU, measureNoise, type BenchContext } from './harness/context';
import type { PeerId } from './peers/peers';
import { FULL, QUICK, type Profile } from './profile';
import { buildReport, describeMachine } from './report/report';
import type { ScenarioOutput } from './report/types';
import { fanout } from './scenarios/fanout';
import { breakingPoint } from './scenarios/breaking-point';
import { manyDocuments } from './scenarios/many-documents';
import { coldLoad } from './scenarios/cold-load';
import { durableWrites } from './scenarios/durable-writes';
import { concurrentTraces } from './scenarios/concurrent-traces';
import { browser } from './scenarios/browser';
import { versions } from './scenarios/versions';
import { bigDocStall } from './scenarios/big-doc-stall';

const SCENARIOS: Readonly<Record<string, (ctx: BenchContext) => Promise<ScenarioOutput>>> = {
  fanout,
  breaking: breakingPoint,
  'many-docs': manyDocuments,
  'cold-load': coldLoad,
  'big-doc-stall': bigDocStall,
  durable: durableWrites,
  traces: concurrentTraces,
  browser,
  versions,
};

const ALL_PEERS: readonly PeerId[] = ['tandem', 'hocuspocus', 'y-websocket', 'relay'];

interface Args {
  readonly profile: Profile;
  readonly only: readonly string[];
  readonly peers: readonly PeerId[];
  readonly cpuProfile: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let profile = QUICK;
  let only = Object.keys(SCENARIOS);
  let peers: readonly PeerId[] | undefined;
  let cpuProfile = false;
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    if (key === '--full') profile = FULL;
    else if (key === '--quick') profile = QUICK;
    else if (key === '--profile') cpuProfile = true;
    else if (key === '--only' && value) {
      only = value.split(',');
      const unknown = only.filter((s) => !(s in SCENARIOS));
      if (unknown.length) throw new RangeError(`unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    } else if (key === '--peers' && value) {
      const list = value.split(',') as PeerId[];
      const unknown = list.filter((p) => !ALL_PEERS.includes(p));
      if (unknown.length) throw new RangeError(`unknown peer ${unknown.join(', ')}; known: ${ALL_PEERS.join(', ')}`);
      peers = ALL_PEERS.filter((p) => p === 'tandem' || list.includes(p));
    } else if (key === '--help' || key === '-h') {
      process.stdout.write(`${readUsage()}\n`);
      process.exit(0);
    } else throw new RangeError(`unknown argument ${arg}; try --help`);
  }
  // Quick mode leaves out the y-websocket server: no target refers to it.
  peers ??= profile.name === 'full' ? ALL_PEERS : ALL_PEERS.filter((p) => p !== 'y-websocket');
  return { profile, only, peers, cpuProfile };
}

function readUsage(): string {
  return [
    'npm run bench [-- options]',
    '  --quick            a couple of minutes (default)',
    '  --full             every size and repetition; rewrites BENCHMARKS.md',
    `  --only=a,b         scenarios: ${Object.keys(SCENARIOS).join(', ')}`,
    `  --peers=a,b        peers besides Tandem: ${ALL_PEERS.slice(1).join(', ')} (quick: all but y-websocket)`,
    "  --profile          run Tandem's server under node --cpu-prof",
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = process.cwd();
  if (!existsSync(join(root, 'server/main.ts'))) throw new Error('run from the repository root (server/main.ts not found)');
  // This orchestrator shares the load generator's core; it is idle while measurements run.
  try {
    execFileSync('taskset', ['-pc', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
  } catch {
    process.stderr.write('[bench] taskset failed: processes are not pinned\n');
  }
  const startedAt = new Date();
  const machine = describeMachine();
  // BENCHMARKS.md must name the code it measured: a full run measures a commit, nothing else.
  if (args.profile.name === 'full' && machine.dirty) {
    throw new Error('--full measures a commit: the working tree has uncommitted changes (git status); commit or stash them first');
  }
  process.stdout.write(`[bench] Tandem at commit ${machine.commit}\n`);
  const runName = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${args.profile.name}`;
  const outDir = resolve(root, 'bench-results', runName);
  const chartsDir = join(outDir, 'charts');
  mkdirSync(chartsDir, { recursive: true });
  const tmpDir = join(tmpdir(), `tandem-bench-${process.pid}`);
  mkdirSync(tmpDir, { recursive: true });
  const baselineNoise = await measureNoise(3_000);
  const ctx: BenchContext = {
    baselineNoise,
    profile: args.profile,
    outDir,
    tmpDir,
    peers: args.peers,
    tandemNodeFlags: args.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'profiles')}`] : [],
    log: (message) => process.stdout.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${message}\n`),
  };
  // The whole run is bounded too (many-docs alone opens 20,000 sockets per server): past this, stop.
  const budgetMs = args.profile.name === 'full' ? 90 * 60_000 : 15 * 60_000;
  const overall = setTimeout(() => {
    process.stderr.write(`[bench] the run passed its ${budgetMs / 60_000} min limit: stopping\n`);
    process.exit(2);
  }, budgetMs);
  overall.unref();

  ctx.log(`other processes use ${Math.round(baselineNoise * 100)} % of a core before the run`);
  ctx.log(`mode ${args.profile.name}; scenarios ${args.only.join(', ')}; servers ${args.peers.join(', ')}; results in ${outDir}`);
  const outputs: ScenarioOutput[] = [];
  const skipped: string[] = [];
  for (const id of args.only) {
    const scenario = SCENARIOS[id]!;
    const t0 = Date.now();
    try {
      const output = await scenario(ctx);
      outputs.push(output);
      for (const chart of output.charts) writeFileSync(join(chartsDir, chart.file), chart.svg);
      ctx.log(`${id}: done in ${Math.round((Date.now() - t0) / 1000)} s${output.failures.length ? `, ${output.failures.length} failed runs` : ''}`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      skipped.push(`${id}: ${message.split('\n')[0]}`);
      ctx.log(`${id}: could not run: ${message}`);
    }
    writeResults();
  }

  function writeResults(): void {
    const input = {
      profile: args.profile,
      machine: { ...machine, baselineNoise },
      peers: args.peers,
      outputs,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      skipped,
    };
    writeFileSync(join(outDir, 'report.md'), buildReport({ ...input, chartsPath: 'charts' }));
    writeFileSync(
      join(outDir, 'results.json'),
      JSON.stringify({ ...input, outputs: outputs.map(({ charts: _charts, markdown: _markdown, ...rest }) => rest) }, null, 1),
    );
  }

  const latest = resolve(root, 'bench-results', 'latest');
  rmSync(latest, { recursive: true, force: true });
  cpSync(outDir, latest, { recursive: true });
  if (args.profile.name === 'full' && args.only.length === Object.keys(SCENARIOS).length) {
    const committedCharts = resolve(root, 'tests/bench/charts');
    rmSync(committedCharts, { recursive: true, force: true });
    cpSync(chartsDir, committedCharts, { recursive: true });
    const input = {
      profile: args.profile,
      machine: { ...machine, baselineNoise },
      peers: args.peers,
      outputs,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      skipped,
    };
    writeFileSync(resolve(root, 'BENCHMARKS.md'), buildReport({ ...input, chartsPath: 'tests/bench/charts' }));
    ctx.log('BENCHMARKS.md written');
  }
  rmSync(tmpDir, { recursive: true, force: true });
  ctx.log(`report: ${join(outDir, 'report.md')}`);
  const failed = outputs.some((o) => o.failures.length > 0) || skipped.length > 0;
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
