import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import { AutoVersioner, type AutoVersionPolicy } from '../../server/versions/auto-versioner';
import { DEFAULT_RETENTION, versionsToThin } from '../../server/versions/retention';
import { ManualScheduler } from '../helpers/manual-scheduler';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const doc = 'doc_one' as DocId;

describe('retention (rule V4)', () => {
  const now = Date.UTC(2026, 5, 15, 12);
  const auto = (id: string, agoMs: number) => ({ id, createdAt: new Date(now - agoMs), name: null });

  it('keeps every automatic version younger than the keep-all window', () => {
    const versions = Array.from({ length: 50 }, (_, i) => auto(`v${i}`, i * 60_000));
    expect(versionsToThin(versions, now, DEFAULT_RETENTION)).toEqual([]);
  });

  it('past it keeps the newest of each hour, then past the hourly window the newest of each day', () => {
    const hourStart = Math.floor((now - 2 * DAY) / HOUR) * HOUR;
    const dayStart = Math.floor((now - 10 * DAY) / DAY) * DAY;
    const versions = [
      // Three in one hour, two days ago: only the newest stays.
      { id: 'h-old', createdAt: new Date(hourStart + 1_000), name: null },
      { id: 'h-mid', createdAt: new Date(hourStart + 20 * 60_000), name: null },
      { id: 'h-new', createdAt: new Date(hourStart + 59 * 60_000), name: null },
      // Three in one day, ten days ago, hours apart: only the newest stays.
      { id: 'd-old', createdAt: new Date(dayStart + HOUR), name: null },
      { id: 'd-mid', createdAt: new Date(dayStart + 5 * HOUR), name: null },
      { id: 'd-new', createdAt: new Date(dayStart + 23 * HOUR), name: null },
      auto('fresh', 60_000),
    ];
    expect(versionsToThin(versions, now, DEFAULT_RETENTION).sort()).toEqual(['d-mid', 'd-old', 'h-mid', 'h-old']);
  });

  it('never thins a named version, and a named version does not use up its hour', () => {
    const hourStart = Math.floor((now - 3 * DAY) / HOUR) * HOUR;
    const versions = [
      { id: 'named-old', createdAt: new Date(hourStart + 1_000), name: 'Sent to the client' },
      { id: 'named-new', createdAt: new Date(hourStart + 50 * 60_000), name: 'Final' },
      { id: 'auto', createdAt: new Date(hourStart + 10 * 60_000), name: null },
      { id: 'years', createdAt: new Date(now - 900 * DAY), name: 'kept for good' },
    ];
    expect(versionsToThin(versions, now, DEFAULT_RETENTION)).toEqual([]);
  });

  it('thinning is stable: applying it twice thins nothing more', () => {
    const versions = Array.from({ length: 400 }, (_, i) => auto(`v${i}`, i * 47 * 60_000));
    const thinned = new Set(versionsToThin(versions, now, DEFAULT_RETENTION));
    expect(thinned.size).toBeGreaterThan(0);
    expect(versionsToThin(versions.filter((v) => !thinned.has(v.id)), now, DEFAULT_RETENTION)).toEqual([]);
  });
});

describe('automatic versions (rule V3)', () => {
  const policy: AutoVersionPolicy = { pauseMs: 30_000, maxIntervalMs: 5 * 60_000 };
  function setUp() {
    const scheduler = new ManualScheduler();
    const taken: Array<{ at: number; authors: string[] }> = [];
    const versioner = new AutoVersioner({
      scheduler,
      logger,
      policy,
      take: async (_docId, authors) => taken.push({ at: scheduler.now(), authors: [...authors].sort() }),
    });
    return { scheduler, taken, versioner };
  }

  it('takes one version after a pause in editing, naming everyone who changed the document', () => {
    const { scheduler, taken, versioner } = setUp();
    versioner.changed(doc, ['Ada']);
    scheduler.advance(10_000);
    versioner.changed(doc, ['Grace', 'Ada']);
    scheduler.advance(29_999);
    expect(taken).toEqual([]);
    scheduler.advance(1);
    expect(taken).toEqual([{ at: scheduler.now(), authors: ['Ada', 'Grace'] }]);
    scheduler.advance(10 * 60_000);
    expect(taken).toHaveLength(1);
  });

  it('while people keep typing, takes one at most every interval', () => {
    const { scheduler, taken, versioner } = setUp();
    const start = scheduler.now();
    for (let i = 0; i < 144; i++) {
      versioner.changed(doc, ['Ada']);
      scheduler.advance(5_000); // never a 30 s pause, for twelve minutes
    }
    // The first change after each version starts the next interval.
    expect(taken.map((t) => t.at - start)).toEqual([5 * 60_000, 10 * 60_000 + 5_000]);
  });

  it('takes one when the document unloads if it changed, and none if nothing changed', () => {
    const { scheduler, taken, versioner } = setUp();
    versioner.takeNow(doc);
    expect(taken).toEqual([]);
    versioner.changed(doc, []);
    versioner.takeNow(doc);
    expect(taken).toHaveLength(1);
    scheduler.advance(60_000);
    expect(taken).toHaveLength(1);
  });

  it('a named version claims the authors and the pending automatic version', () => {
    const { scheduler, taken, versioner } = setUp();
    versioner.changed(doc, ['Ada']);
    expect(versioner.claim(doc)).toEqual(['Ada']);
    scheduler.advance(60_000);
    expect(taken).toEqual([]);
    expect(versioner.claim(doc)).toEqual([]);
  });

  it('each document gets its version after its own pause, whatever the others do (one timer serves them all)', () => {
    const scheduler = new ManualScheduler();
    const taken: Array<{ docId: DocId; at: number }> = [];
    const versioner = new AutoVersioner({ scheduler, logger, policy, take: async (docId) => taken.push({ docId, at: scheduler.now() }) });
    const [a, b, c] = ['doc_a', 'doc_b', 'doc_c'] as DocId[];
    const start = scheduler.now();
    versioner.changed(a!, ['Ada']);
    scheduler.advance(10_000);
    versioner.changed(b!, ['Grace']);
    versioner.changed(c!, ['Linus']);
    scheduler.advance(10_000);
    // A changes again: its pause now ends after B's and C's.
    versioner.changed(a!, ['Ada']);
    // C's pending version is claimed by a named one; B's and A's still come at their time.
    expect(versioner.claim(c!)).toEqual(['Linus']);
    scheduler.advance(60_000);
    expect(taken.map((t) => [t.docId, t.at - start])).toEqual([
      [b, 40_000],
      [a, 50_000],
    ]);
  });

  it('on shutdown, drain takes every pending version and waits for them', async () => {
    const { taken, versioner } = setUp();
    versioner.changed(doc, ['Ada']);
    versioner.changed('doc_two' as DocId, ['Grace']);
    await versioner.drain();
    expect(taken.map((t) => t.authors)).toEqual([['Ada'], ['Grace']]);
  });
});
