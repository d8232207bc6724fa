import * as prng from 'lib0/prng';
import type { DocId } from '../../lib/doc-id';
import type { Bus, BusHandler, BusMessage } from '../../server/bus/bus';
import type { SimScheduler } from './sim-scheduler';

export interface BusFaults {
  /** Share of deliveries lost; each loss is reported to its subscriber as a gap, as the Bus contract requires. */
  drop: number;
  maxLatencyMs: number;
}

interface Subscription {
  readonly docId: DocId;
  readonly handler: BusHandler;
  readonly onGap: () => void;
}

export interface BusObserver {
  delivered(to: string, message: BusMessage, from: string): void;
  gap(to: string, docId: DocId): void;
}

/**
 * Relay between simulated server instances. Each delivery has its own seeded latency, so
 * messages overtake each other; a dropped delivery calls the subscriber's `onGap` instead (a
 * Redis reconnect), so it can catch up from storage. Deliveries to an instance that died are
 * lost with its tasks.
 */
export class SimBusHub {
  private readonly members = new Map<string, SimBus>();

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly gen: prng.PRNG,
    private readonly faults: () => BusFaults,
    private readonly observer: BusObserver,
  ) {}

  connect(instanceId: string): SimBus {
    const bus = new SimBus(instanceId, this);
    this.members.set(instanceId, bus);
    return bus;
  }

  /** Removes an instance (crashed or closed): nothing reaches it any more. */
  disconnect(instanceId: string): void {
    this.members.get(instanceId)?.subscriptions.clear();
    this.members.delete(instanceId);
  }

  /** Subscriptions an instance holds (rule I4: they go when its rooms unload). */
  subscriptionCount(instanceId: string): number {
    return this.members.get(instanceId)?.subscriptions.size ?? 0;
  }

  /** Loses every delivery in flight for one subscription of `instanceId`: its subscriber hears of a gap. */
  forceGap(instanceId: string, pick: (count: number) => number): void {
    const subs = [...(this.members.get(instanceId)?.subscriptions ?? [])];
    if (subs.length === 0) return;
    this.gap(instanceId, subs[pick(subs.length)]!);
  }

  private latency(): number {
    return prng.int32(this.gen, 0, this.faults().maxLatencyMs);
  }

  /** Runs `task` for `instanceId` after a bus latency. */
  later(instanceId: string, label: string, task: () => void): void {
    this.scheduler.at(this.latency(), instanceId, label, task);
  }

  publish(from: string, message: BusMessage): void {
    for (const [id, member] of this.members) {
      if (id === from) continue;
      for (const sub of member.subscriptions) {
        if (sub.docId !== message.docId) continue;
        if (prng.real53(this.gen) < this.faults().drop) {
          this.gap(id, sub);
          continue;
        }
        this.scheduler.at(this.latency(), id, 'bus deliver', () => {
          if (!member.subscriptions.has(sub)) return;
          this.observer.delivered(id, message, from);
          sub.handler(message, from);
        });
      }
    }
  }

  private gap(instanceId: string, sub: Subscription): void {
    const member = this.members.get(instanceId);
    this.scheduler.at(this.latency(), instanceId, 'bus gap', () => {
      if (!member?.subscriptions.has(sub)) return;
      this.observer.gap(instanceId, sub.docId);
      sub.onGap();
    });
  }
}

class SimBus implements Bus {
  readonly subscriptions = new Set<Subscription>();

  constructor(
    readonly instanceId: string,
    private readonly hub: SimBusHub,
  ) {}

  publish(message: BusMessage): void {
    this.hub.publish(this.instanceId, message);
  }

  subscribe(docId: DocId, handler: BusHandler, onGap: () => void): Promise<() => void> {
    const sub: Subscription = { docId, handler, onGap };
    return new Promise((resolve) => {
      this.hub.later(this.instanceId, 'bus subscribe', () => {
        this.subscriptions.add(sub);
        resolve(() => this.subscriptions.delete(sub));
      });
    });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.hub.disconnect(this.instanceId);
  }
}
