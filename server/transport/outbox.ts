/** Something with frames queued for writing. */
export interface Flushable {
  flush(): void;
}

/**
 * Writes queued frames once per event-loop turn, so every frame a connection gets in one turn
 * leaves in one socket write. `flushNow` lets the relay path write without waiting a turn.
 */
export class OutboxFlusher {
  private dirty = new Set<Flushable>();
  private scheduled = false;

  mark(target: Flushable): void {
    this.dirty.add(target);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flushNow();
    });
  }

  flushNow(): void {
    if (this.dirty.size === 0) return;
    const targets = this.dirty;
    this.dirty = new Set();
    for (const target of targets) target.flush();
  }
}
