import './fast-random';
import { Command, InvalidArgumentError } from 'commander';
import { replayCommand, runSeed, type SimResult } from './world';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function printFailure(result: SimResult): void {
  console.log(`seed ${result.seed} FAILED (${result.scenario.weather}, ${result.scenario.instances} instance(s)):`);
  for (const failure of result.failures.slice(0, 10)) console.log(`  ${failure}`);
  if (result.failures.length > 10) console.log(`  … and ${result.failures.length - 10} more`);
  console.log(`  replay: ${replayCommand(result.seed)}`);
}

const program = new Command()
  .name('npm run sim --')
  .description('Runs the deterministic simulation of the sync core over many seeds (see tests/sim/README.md).')
  .option('--seeds <n>', 'how many seeds to run, from --from on', count, 1_000)
  .option('--from <n>', 'first seed of a campaign', count, 1)
  .option('--seed <n>', 'run this one seed only (to replay a failure)', count)
  .option('--verbose', 'print the whole trace of each seed run', false)
  .action(async (options: { seeds: number; from: number; seed?: number; verbose: boolean }) => {
    const seeds = options.seed !== undefined ? [options.seed] : Array.from({ length: options.seeds }, (_, i) => options.from + i);
    const started = performance.now();
    const failed: number[] = [];
    const coverage: Record<string, number> = {};
    let lastReport = started;
    for (const seed of seeds) {
      const result = await runSeed(seed, { verbose: options.verbose });
      if (options.verbose) {
        console.log(`scenario: ${JSON.stringify(result.scenario)}`);
        for (const line of result.traceLines ?? []) console.log(line);
      }
      for (const [path, n] of Object.entries(result.coverage)) coverage[path] = (coverage[path] ?? 0) + n;
      if (result.failures.length > 0) {
        failed.push(seed);
        printFailure(result);
      } else if (seeds.length === 1) {
        console.log(`seed ${seed} passed: ${result.events} events, trace ${result.hash}`);
      }
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        console.log(`… seed ${seed}: ${failed.length} failed so far`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`${seeds.length} seeds in ${seconds.toFixed(1)} s, ${failed.length} failed${failed.length > 0 ? `: ${failed.join(' ')}` : ''}`);
    console.log(`paths reached: ${JSON.stringify(coverage)}`);
    process.exitCode = failed.length > 0 ? 1 : 0;
  });

await program.parseAsync();
