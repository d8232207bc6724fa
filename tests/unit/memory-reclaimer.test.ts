import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryReclaimer, QUIET_MS, UNLOADS_BEFORE_COLLECTING } from '../../server/rooms/memory-reclaimer';
import type { Scheduler } from '../../server/scheduler';

/** A scheduler whose clock moves only when the test says so. */
function steppedScheduler() {
  let now = 0;
  const timers: Array<{ at: number; task: () => void; cancelled: boolean }> = [];
  const scheduler: Scheduler = {
    now: () => now,
    soon: (task) => timers.push({ at: now, task, cancelled: false }),
    after: (ms, task) => {
      const timer = { at: now + ms, task, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const timer of timers.splice(0)) {
      if (timer.cancelled) continue;
      if (timer.at <= now) timer.task();
      else timers.push(timer);
    }
  };
  return { scheduler, advance };
}

describe('returning the memory of unloaded documents', () => {
  it('collects once, after many unloads and a quiet spell, and not before', () => {
    const { scheduler, advance } = steppedScheduler();
    let collections = 0;
    const reclaimer = new MemoryReclaimer(scheduler, () => collections++);
    for (let i = 0; i < UNLOADS_BEFORE_COLLECTING - 1; i++) reclaimer.unloaded();
    advance(QUIET_MS * 2);
    expect(collections).toBe(0);
    reclaimer.unloaded();
    advance(QUIET_MS - 1);
    reclaimer.unloaded(); // still unloading: wait for quiet again
    advance(QUIET_MS - 1);
    expect(collections).toBe(0);
    advance(1);
    expect(collections).toBe(1);
    advance(QUIET_MS * 2);
    expect(collections).toBe(1);
  });

  it('does nothing when Node.js offers no collection (no --expose-gc)', () => {
    const { scheduler, advance } = steppedScheduler();
    const reclaimer = new MemoryReclaimer(scheduler, null);
    for (let i = 0; i < UNLOADS_BEFORE_COLLECTING * 2; i++) reclaimer.unloaded();
    expect(() => advance(QUIET_MS)).not.toThrow();
  });

  it('compacts: a scattered survivor per page does not keep the page', () => {
    // In a process of its own, with --expose-gc as the server runs: 1,000,000 objects of which
    // every tenth survives, spread over every page. A plain full collection leaves the pages
    // (about 180 MB above the live heap, measured); the reclaimer's collection gives them back.
    const module = pathToFileURL(resolve('server/rooms/memory-reclaimer.ts')).href;
    const script = `
      const { compactingCollection } = await import(${JSON.stringify(module)});
      const kept = [];
      let all = [];
      for (let i = 0; i < 1_000_000; i++) {
        const o = { i, s: 'x' + i, a: [i] };
        all.push(o);
        if (i % 10 === 0) kept.push(o);
      }
      all = null;
      compactingCollection()();
      const { heapTotal, heapUsed } = process.memoryUsage();
      console.log(JSON.stringify({ heapTotal, heapUsed, kept: kept.length }));
    `;
    const out = execFileSync('node', ['--expose-gc', '--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    const { heapTotal, heapUsed, kept } = JSON.parse(out.trim().split('\n').at(-1)!) as { heapTotal: number; heapUsed: number; kept: number };
    expect(kept).toBe(100_000);
    expect(heapTotal - heapUsed).toBeLessThan(40 * 2 ** 20);
  });
});
