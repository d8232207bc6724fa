import './fast-random';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_TIMEOUT_MS, DEFAULT_SEEDS, PROMISED_PATHS, runCampaign, type CampaignResult } from './campaign';

/** The second half of the default seeds (see sim.test.ts), in its own file so it runs on the other worker. */
const HALF = Math.ceil(DEFAULT_SEEDS / 2);
const FROM = HALF + 1;
const COUNT = DEFAULT_SEEDS - HALF;

describe('simulation, second half', () => {
  let campaign: CampaignResult;
  it(`I1 replicas equal cold loads, I2 nothing received is lost to a crash, I3 view edits never land, I4 memory drains: seeds ${FROM}–${DEFAULT_SEEDS}`, async () => {
    campaign = await runCampaign(FROM, COUNT);
    expect(campaign.failures).toEqual([]);
  }, CAMPAIGN_TIMEOUT_MS);

  it('reaches every fault path the README promises over these seeds', () => {
    const missing = PROMISED_PATHS.filter((path) => !(campaign.coverage[path]! > 0));
    console.log(`simulation seeds ${FROM}–${DEFAULT_SEEDS}: ${JSON.stringify(campaign.coverage)}`);
    expect(missing).toEqual([]);
  });
});
