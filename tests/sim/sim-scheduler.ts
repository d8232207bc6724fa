import type { Cancel, Scheduler } from '../../server/scheduler';

/** The virtual clock starts here (a fixed date, so traces never depend on when a run happens). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** Who a task belongs to: a server instance (its tasks die with it) or the simulated world. */
export type TaskOwner = string;
export const WORLD: TaskOwner = 'world';

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly owner: TaskOwner;
  readonly label: string;
  readonly run: () => void;
  cancelled: boolean;
}

/** Lets every promise continuation queued so far run (setImmediate runs after the microtask queue is empty). */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A virtual clock and one queue of tasks ordered by (due time, creation order). Nothing waits for
 * real time: `runUntil` pops the next task, jumps the clock to it, runs it, then lets every
 * promise continuation it caused run before the next task. Given the same tasks in the same
 * order, a run is the same every time, which is what makes a seed replay.
 */
export class SimScheduler {
  private time = SIM_EPOCH_MS;
  private seq = 0;
  private heap: Task[] = [];
  /** Called for a task that throws (the production scheduler logs and carries on; the simulation reports it). */
  onTaskError: (label: string, error: unknown) => void = () => {};

  now(): number {
    return this.time;
  }

  /** Milliseconds since the simulation started, for traces. */
  elapsed(): number {
    return this.time - SIM_EPOCH_MS;
  }

  at(delayMs: number, owner: TaskOwner, label: string, run: () => void): Cancel {
    const task: Task = { at: this.time + Math.max(0, delayMs), seq: this.seq++, owner, label, run, cancelled: false };
    this.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** The `Scheduler` the core of one server instance sees (rule T1). */
  schedulerFor(owner: TaskOwner): Scheduler {
    return {
      now: () => this.time,
      soon: (task) => {
        this.at(0, owner, 'soon', task);
      },
      after: (ms, task) => this.at(ms, owner, 'after', task),
    };
  }

  /** Drops every task of `owner` (its process died). */
  killOwner(owner: TaskOwner): void {
    for (const task of this.heap) if (task.owner === owner) task.cancelled = true;
  }

  /** Live tasks of `owner`, for checking that nothing is left behind (rule I4). */
  pendingOf(owner: TaskOwner): string[] {
    return this.heap.filter((task) => !task.cancelled && task.owner === owner).map((task) => `${task.label}@${task.at - SIM_EPOCH_MS}`);
  }

  /** Runs tasks due up to `until` (virtual ms), then leaves the clock there. */
  async runUntil(until: number, stop: () => boolean = () => false): Promise<void> {
    for (;;) {
      if (stop()) return;
      const next = this.peek();
      if (!next || next.at > until) break;
      this.pop();
      this.time = next.at;
      try {
        next.run();
      } catch (error) {
        this.onTaskError(next.label, error);
      }
      await drainMicrotasks();
    }
    if (until > this.time) this.time = until;
  }

  private peek(): Task | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  private static before(a: Task, b: Task): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(task: Task): void {
    const heap = this.heap;
    heap.push(task);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!SimScheduler.before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Task | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && SimScheduler.before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && SimScheduler.before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}
