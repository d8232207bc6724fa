import * as prng from 'lib0/prng';
import type { CommitterLimits } from '../../server/rooms/committer';
import type { BusFaults } from './sim-bus';
import type { StorageFaults } from './sim-storage';

export type Weather = 'calm' | 'flaky' | 'stormy';

/** Everything about a run that the seed picks before it starts. */
export interface Scenario {
  readonly instances: number;
  readonly docs: number;
  readonly initialClients: number;
  readonly actions: number;
  readonly weather: Weather;
  readonly storage: StorageFaults;
  readonly bus: BusFaults;
  readonly networkLatencyMs: number;
  readonly committerLimits: Partial<CommitterLimits>;
  readonly minLogBytesToCompact: number;
  /** Chance that a server process is killed, or shut down, at an action. */
  readonly crashRate: number;
  readonly shutdownRate: number;
  /** Chance that a compaction starting is the moment its instance is told to shut down. */
  readonly shutdownOnCompaction: number;
}

const STORAGE: Record<Weather, StorageFaults> = {
  calm: { appendFail: 0, loadFail: 0, compactFail: 0, ambiguousAppend: 0, stall: 0, maxLatencyMs: 5, maxStallMs: 0 },
  flaky: { appendFail: 0.05, loadFail: 0.05, compactFail: 0.05, ambiguousAppend: 0.02, stall: 0.05, maxLatencyMs: 10, maxStallMs: 3_000 },
  stormy: { appendFail: 0.25, loadFail: 0.2, compactFail: 0.2, ambiguousAppend: 0.05, stall: 0.1, maxLatencyMs: 20, maxStallMs: 8_000 },
};

const BUS_DROP: Record<Weather, number> = { calm: 0, flaky: 0.02, stormy: 0.1 };

/** Draws a scenario from the seed's generator (always the first draws of a run). */
export function drawScenario(gen: prng.PRNG): Scenario {
  const weather = prng.oneOf(gen, ['calm', 'flaky', 'flaky', 'stormy'] as const);
  const instances = prng.real53(gen) < 0.4 ? 1 : 2;
  const tightBacklog = prng.real53(gen) < 0.3;
  const perDoc = prng.int32(gen, 400, 4_000);
  return {
    instances,
    docs: prng.int32(gen, 1, 3),
    initialClients: prng.int32(gen, 2, 5),
    actions: prng.int32(gen, 10, 40),
    weather,
    storage: STORAGE[weather],
    bus: { drop: BUS_DROP[weather], maxLatencyMs: prng.int32(gen, 0, 15) },
    networkLatencyMs: prng.int32(gen, 0, 20),
    committerLimits: tightBacklog
      ? { maxQueuedBytesPerDoc: perDoc, maxQueuedBytes: perDoc * 2, maxBatchBytes: prng.int32(gen, 100, 2_000) }
      : { maxBatchBytes: prng.int32(gen, 200, 64_000) },
    minLogBytesToCompact: prng.int32(gen, 100, 2_000),
    crashRate: weather === 'calm' ? 0 : 0.03,
    shutdownRate: weather === 'calm' ? 0.01 : 0.02,
    shutdownOnCompaction: weather === 'calm' ? 0.05 : 0.15,
  };
}
