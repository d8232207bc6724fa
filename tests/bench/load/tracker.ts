/**
 * Delivery bookkeeping shared by every client of a load generator: when each edit was made,
 * which edits each client has received, and the latency histogram of the current step.
 * Edits are identified by (Yjs client id, clock); every edit is one character, so one clock.
 */
import * as Y from 'yjs';
import { Histogram } from '../harness/stats';
import { updateRanges } from './update-ranges';

/**
 * Small numbers for the Yjs client ids seen in one load generator, so that per-delivery
 * bookkeeping indexes arrays instead of hashing 32-bit ids.
 */
export class Writers {
  private readonly slots = new Map<number, number>();

  slot(client: number): number {
    let slot = this.slots.get(client);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(client, slot);
    }
    return slot;
  }

  clear(): void {
    this.slots.clear();
  }
}

/** What one client has received from each writer: contiguous clocks [0, high), plus stragglers. */
export class Coverage {
  /** By writer slot. */
  private readonly high: number[] = [];
  /** Ranges that arrived ahead of a gap, by writer slot (rare: servers forward in order). */
  private readonly ahead = new Map<number, [number, number][]>();

  constructor(private readonly writers: Writers) {}

  /** Marks [from, to) of the writer in `slot` received; calls `fresh` for every clock not seen before. */
  add(slot: number, from: number, to: number, tracker: DeliveryTracker): void {
    let high = this.high[slot] ?? 0;
    if (from > high) {
      const ranges = this.ahead.get(slot) ?? [];
      if (!ranges.some(([a, b]) => a <= from && to <= b)) {
        for (let clock = from; clock < to; clock += 1) if (!ranges.some(([a, b]) => a <= clock && clock < b)) tracker.fresh(slot, clock);
        ranges.push([from, to]);
        this.ahead.set(slot, ranges);
      }
      return;
    }
    for (let clock = high; clock < to; clock += 1) tracker.fresh(slot, clock);
    if (to <= high) return;
    high = to;
    // Absorb stragglers that are now contiguous.
    const ranges = this.ahead.size === 0 ? undefined : this.ahead.get(slot);
    if (ranges) {
      let grew = true;
      while (grew) {
        grew = false;
        for (let i = ranges.length - 1; i >= 0; i -= 1) {
          const [a, b] = ranges[i]!;
          if (a <= high) {
            high = Math.max(high, b);
            ranges.splice(i, 1);
            grew = true;
          }
        }
      }
      if (ranges.length === 0) this.ahead.delete(slot);
    }
    while (this.high.length < slot) this.high.push(0); // keep the array packed
    this.high[slot] = high;
  }

  /** Clocks of `client` received contiguously from 0. */
  through(client: number): number {
    return this.high[this.writers.slot(client)] ?? 0;
  }
}

export class DeliveryTracker {
  readonly writers = new Writers();
  /** Send time (performance.now()) of each edit, by writer slot, indexed by clock. */
  private sendTimes: number[][] = [];
  histogram = new Histogram();
  delivered = 0;
  /** Ranges of the update being read, as flat (client, from, to) triples; reused. */
  private readonly ranges: number[] = [];
  /** When the update being read arrived. */
  private now = 0;

  /** A client's record of what it has received. */
  coverage(): Coverage {
    return new Coverage(this.writers);
  }

  recordSend(client: number, clock: number, at: number): void {
    const slot = this.writers.slot(client);
    while (this.sendTimes.length <= slot) this.sendTimes.push([]);
    const times = this.sendTimes[slot]!;
    while (times.length < clock) times.push(Number.NaN); // keep the array packed
    times[clock] = at;
  }

  /** Starts a new measurement step: latencies and deliveries count from here. */
  resetStep(): void {
    this.histogram = new Histogram();
    this.delivered = 0;
  }

  /**
   * Client `self` received the update (Yjs v1) in `data[start, end)` at `now`: records the
   * latency of every edit in it new to that client. Its own edits coming back (some servers echo
   * them) are not deliveries.
   */
  receive(self: number, coverage: Coverage, data: Uint8Array, start: number, end: number, now: number): void {
    this.now = now;
    const ranges = this.ranges;
    let count = updateRanges(data, start, end, ranges);
    if (count < 0) count = yjsRanges(data.subarray(start, end), ranges);
    for (let i = 0; i < count * 3; i += 3) {
      const client = ranges[i]!;
      if (client !== self) coverage.add(this.writers.slot(client), ranges[i + 1]!, ranges[i + 2]!, this);
    }
  }

  /** The edit (writer slot, clock) reached a client for the first time. */
  fresh(slot: number, clock: number): void {
    const sent = this.sendTimes[slot]?.[clock];
    if (sent === undefined || Number.isNaN(sent)) return;
    this.histogram.record(this.now - sent);
    this.delivered += 1;
  }

  forget(): void {
    this.sendTimes = [];
    this.writers.clear();
    this.resetStep();
  }
}

/** Yjs's own reading of the ranges, for structs `updateRanges` does not read. */
function yjsRanges(update: Uint8Array, out: number[]): number {
  const meta = Y.parseUpdateMeta(update);
  let count = 0;
  for (const [client, to] of meta.to) {
    out[count * 3] = client;
    out[count * 3 + 1] = meta.from.get(client) ?? 0;
    out[count * 3 + 2] = to;
    count += 1;
  }
  return count;
}
