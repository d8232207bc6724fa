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
});
