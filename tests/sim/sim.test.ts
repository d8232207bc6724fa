import './fast-random';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_TIMEOUT_MS, DEFAULT_SEEDS, PROMISED_PATHS, runCampaign, type CampaignResult } from './campaign';
import { runSeed } from './world';

/**
 * The simulation over the default seeds (docs/PROTOCOL.md, rules I1–I4; tests/sim/README.md):
 * the real core under seeded faults, every invariant checked after every seed. Half of the
 * seeds run here, the other half in sim-more.test.ts, so two workers share them.
 */
const HALF = Math.ceil(DEFAULT_SEEDS / 2);

describe('simulation', () => {
  it('one seed gives one run: the same trace hash twice', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const first = await runSeed(seed);
      const second = await runSeed(seed);
      expect(second.hash, `seed ${seed}`).toBe(first.hash);
      expect(second.events).toBe(first.events);
    }
  }, CAMPAIGN_TIMEOUT_MS);

  let campaign: CampaignResult;
  it(`I1 replicas equal cold loads, I2 nothing received is lost to a crash, I3 view edits never land, I4 memory drains: seeds 1–${HALF}`, async () => {
    campaign = await runCampaign(1, HALF);
    expect(campaign.failures).toEqual([]);
  }, CAMPAIGN_TIMEOUT_MS);

  it('reaches every fault path the README promises over these seeds', () => {
    const missing = PROMISED_PATHS.filter((path) => !(campaign.coverage[path]! > 0));
    console.log(`simulation seeds 1–${HALF}: ${JSON.stringify(campaign.coverage)}`);
    expect(missing).toEqual([]);
  });
});
