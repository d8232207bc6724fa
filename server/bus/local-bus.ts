import { randomBytes } from 'node:crypto';
import type { DocId } from '../../lib/doc-id';
import type { Bus, BusHandler, BusMessage } from './bus';

/**
 * In-process relay between server instances that share one process (tests), and the bus of a
 * single server (which has nobody else to tell): each `connect()` is one instance.
 */
export class LocalBusHub {
  private readonly members = new Set<LocalBus>();

  connect(): Bus {
    const bus: LocalBus = new LocalBus(
      (message) => {
        for (const member of this.members) if (member !== bus) member.deliver(message, bus.instanceId);
      },
      () => this.members.delete(bus),
    );
    this.members.add(bus);
    return bus;
  }
}

class LocalBus implements Bus {
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly handlers = new Map<DocId, Set<BusHandler>>();

  constructor(
    private readonly broadcast: (message: BusMessage) => void,
    private readonly leave: () => void,
  ) {}

  publish(message: BusMessage): void {
    this.broadcast(message);
  }

  async subscribe(docId: DocId, handler: BusHandler): Promise<() => void> {
    let set = this.handlers.get(docId);
    if (!set) this.handlers.set(docId, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(docId) === set) this.handlers.delete(docId);
    };
  }

  deliver(message: BusMessage, from: string): void {
    // Delivered asynchronously, like a real broker, so no caller relies on re-entrancy.
    const handlers = this.handlers.get(message.docId);
    if (!handlers) return;
    queueMicrotask(() => {
      for (const handler of handlers) handler(message, from);
    });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.leave();
    this.handlers.clear();
  }
}

/** The bus of a server that runs alone. */
export function createSoloBus(): Bus {
  return new LocalBusHub().connect();
}
