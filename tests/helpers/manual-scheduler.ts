import type { Scheduler } from '../../server/scheduler';

/**
 * A scheduler whose clock only moves when the test says: `advance(ms)` runs every task that
 * falls due, in order of due time, so time-based policies are tested without sleeping.
 */
export class ManualScheduler implements Scheduler {
  private time: number;
  private tasks: Array<{ due: number; order: number; task: () => void; cancelled: boolean }> = [];
  private order = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  soon(task: () => void): void {
    this.after(0, task);
  }

  after(ms: number, task: () => void): () => void {
    const entry = { due: this.time + ms, order: this.order++, task, cancelled: false };
    this.tasks.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Moves the clock forward by `ms`, running what falls due on the way. */
  advance(ms: number): void {
    const until = this.time + ms;
    // Cancelled and finished tasks go first, so a long run does not slow down.
    this.tasks = this.tasks.filter((t) => !t.cancelled);
    for (;;) {
      const next = this.tasks
        .filter((t) => !t.cancelled && t.due <= until)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      next.cancelled = true;
      this.time = Math.max(this.time, next.due);
      next.task();
    }
    this.time = until;
  }
}
