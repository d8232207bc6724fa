import { replayCommand, runSeed, type SimOptions } from './world';

/**
 * Seeds `npm test` runs, split over the two campaign test files (override with SIM_SEEDS). About
 * 25 to 50 ms of CPU each: 2,000 take about 28 s of wall time on a quiet 2-core machine (the two
 * files run side by side); on a machine busy with other work they take longer, never wait on time.
 */
export const DEFAULT_SEEDS = Number(process.env.SIM_SEEDS ?? 2000);

/** A generous bound for tests that run many seeds: a loaded machine may run them slowly; they never wait on time. */
export const CAMPAIGN_TIMEOUT_MS = 600_000;

/** The fault paths the README promises, each of which the default seeds must reach. */
export const PROMISED_PATHS = [
  'commit-failed',
  'commit-retried',
  'backlog-full',
  'load-failed',
  'join-failed',
  'join-while-loading',
  'compaction',
  'compaction-raced-appends',
  'shutdown-during-compaction',
  'crash',
  'bus-gap',
  'saved-ack',
] as const;

export interface CampaignResult {
  readonly runs: number;
  /** One line per failing seed: its first finding and how to replay it. */
  readonly failures: string[];
  readonly failingSeeds: number[];
  readonly coverage: Record<string, number>;
}

/** Runs `count` seeds from `from` on; stops early after `stopAfter` failing seeds. */
export async function runCampaign(from: number, count: number, options: SimOptions = {}, stopAfter = Infinity): Promise<CampaignResult> {
  const failures: string[] = [];
  const failingSeeds: number[] = [];
  const coverage: Record<string, number> = {};
  let runs = 0;
  for (let seed = from; seed < from + count && failingSeeds.length < stopAfter; seed++) {
    const result = await runSeed(seed, options);
    runs++;
    for (const [path, n] of Object.entries(result.coverage)) coverage[path] = (coverage[path] ?? 0) + n;
    if (result.failures.length > 0) {
      failingSeeds.push(seed);
      failures.push(`seed ${seed}: ${result.failures[0]} (replay: ${replayCommand(seed)})`);
    }
  }
  return { runs, failures, failingSeeds, coverage };
}
