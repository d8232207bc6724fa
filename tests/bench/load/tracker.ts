/**
 * Delivery bookkeeping shared by every client of a load generator: when each edit was made,
 * which edits each client has received, and the latency histogram of the current step.
 * Edits are identified by (Yjs client id, clock); every edit is one character, so one clock.
 */
import * as Y from 'yjs';
import { Histogram } from '../harness/stats';
import { updateRanges, type Range } from './update-ranges';

/** What one client has received from each writer: contiguous clocks [0, high), plus stragglers. */
export class Coverage {
  readonly high = new Map<number, number>();
  /** Ranges that arrived ahead of a gap, by client (rare: servers forward in order). */
  private readonly ahead = new Map<number, [number, number][]>();

  /** Marks [from, to) received; calls `fresh` for every clock not seen before. */
  add(client: number, from: number, to: number, fresh: (clock: number) => void): void {
    let high = this.high.get(client) ?? 0;
    if (from > high) {
      const ranges = this.ahead.get(client) ?? [];
      if (!ranges.some(([a, b]) => a <= from && to <= b)) {
        for (let clock = from; clock < to; clock += 1) if (!ranges.some(([a, b]) => a <= clock && clock < b)) fresh(clock);
        ranges.push([from, to]);
        this.ahead.set(client, ranges);
      }
      return;
    }
    for (let clock = high; clock < to; clock += 1) fresh(clock);
    high = Math.max(high, to);
    // Absorb stragglers that are now contiguous.
    const ranges = this.ahead.get(client);
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
      if (ranges.length === 0) this.ahead.delete(client);
    }
    this.high.set(client, high);
  }

  /** Clocks of `client` received contiguously from 0. */
  through(client: number): number {
    return this.high.get(client) ?? 0;
  }
}

export class DeliveryTracker {
  /** Send time (performance.now()) of each edit, by writer client id, indexed by clock. */
  private readonly sendTimes = new Map<number, number[]>();
  histogram = new Histogram();
  delivered = 0;

  recordSend(client: number, clock: number, at: number): void {
    let times = this.sendTimes.get(client);
    if (times === undefined) {
      times = [];
      this.sendTimes.set(client, times);
    }
    times[clock] = at;
  }

  /** Starts a new measurement step: latencies and deliveries count from here. */
  resetStep(): void {
    this.histogram = new Histogram();
    this.delivered = 0;
  }

  /**
   * Client `self` received `update` (Yjs v1): records the latency of every edit in it new to that
   * client. Its own edits coming back (some servers echo them) are not deliveries.
   */
  receive(self: number, coverage: Coverage, update: Uint8Array): void {
    const now = performance.now();
    for (const [client, from, to] of updateRanges(update) ?? yjsRanges(update)) {
      if (client === self) continue;
      const times = this.sendTimes.get(client);
      coverage.add(client, from, to, (clock) => {
        const sent = times?.[clock];
        if (sent === undefined) return;
        this.histogram.record(now - sent);
        this.delivered += 1;
      });
    }
  }

  forget(): void {
    this.sendTimes.clear();
    this.resetStep();
  }
}

function yjsRanges(update: Uint8Array): Range[] {
  const meta = Y.parseUpdateMeta(update);
  return [...meta.to].map(([client, to]) => [client, meta.from.get(client) ?? 0, to] as const);
}
