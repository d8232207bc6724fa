import * as prng from 'lib0/prng';

/**
 * A seeded generator for a test: the seed comes from TEST_SEED when set (to replay a failure),
 * else from the clock, and is printed either way.
 */
export function seededRandom(label: string): { seed: number; gen: prng.PRNG } {
  const seed = process.env.TEST_SEED ? Number(process.env.TEST_SEED) : Date.now() % 2 ** 31;
  console.log(`${label}: seed ${seed} (replay with TEST_SEED=${seed})`);
  return { seed, gen: prng.create(seed) };
}
