/** Something with frames queued for writing. */
export interface Flushable {
  flush(): void;
}

/**
 * Writes queued frames once per event-loop turn, so every frame a connection gets in one turn
 * (relayed updates and the turn's presence frame alike) leaves in one socket write: on a
 * loaded server the write syscalls, not the CRDT work, are the largest cost of fan-out.
 */
export class OutboxFlusher {
  /** `soon` runs a task after this turn's I/O (Scheduler.soon). */
  constructor(private readonly soon: (task: () => void) => void) {}

  private dirty = new Set<Flushable>();
  private tasks = new Set<() => void>();
  private scheduled = false;

  mark(target: Flushable): void {
    this.dirty.add(target);
    this.schedule();
  }

  /**
   * Runs `task` once, just before the next write, so what it sends (a room's coalesced
   * presence) shares the write with everything else queued by then.
   */
  beforeNextFlush(task: () => void): void {
    this.tasks.add(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.soon(() => {
      this.scheduled = false;
      this.flushNow();
    });
  }

  flushNow(): void {
    if (this.tasks.size > 0) {
      const tasks = this.tasks;
      this.tasks = new Set();
      for (const task of tasks) task();
    }
    if (this.dirty.size === 0) return;
    const targets = this.dirty;
    this.dirty = new Set();
    for (const target of targets) target.flush();
  }
}
