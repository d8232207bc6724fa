import type { Cancel, Scheduler } from '../../server/scheduler';

interface Timer {
  readonly due: number;
  readonly order: number;
  readonly task: () => void;
  cancelled: boolean;
}

/**
 * A scheduler for integration tests whose time moves only when the test says so: timed
 * behaviour (link expiry) is checked at exact instants, with no real waiting and no race with a
 * slow machine. Work for "soon" still runs on the real event loop, so sockets and storage
 * behave as in production.
 */
export class ManualClock implements Scheduler {
  private time: number;
  private readonly timers: Timer[] = [];
  private scheduled = 0;

  constructor(start = Date.parse('2030-01-01T00:00:00Z')) {
    this.time = start;
  }

  readonly now = (): number => this.time;

  readonly soon = (task: () => void): void => {
    setImmediate(task);
  };

  readonly after = (ms: number, task: () => void): Cancel => {
    const timer: Timer = { due: this.time + Math.max(ms, 0), order: this.scheduled++, task, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  };

  /** Moves time forward by `ms`, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const next = this.timers
        .filter((t) => !t.cancelled && t.due <= target)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      next.cancelled = true;
      this.time = Math.max(this.time, next.due);
      next.task();
    }
    this.time = target;
  }
}
