/**
 * Tracks which of this browser's own document updates the server has durably stored.
 * Pure: fed with local updates and the server's durable state vectors (`MessageType.Saved`),
 * it answers "how many changes are waiting". No DOM, no network, so it is unit-tested alone.
 */
import * as Y from 'yjs';

/** A state vector: client id -> number of structs of that client known (next clock). */
export type StateVector = Map<number, number>;

/** Whether `durable` holds everything `wanted` describes. */
export function covers(durable: StateVector, wanted: StateVector): boolean {
  for (const [client, clock] of wanted) {
    if ((durable.get(client) ?? 0) < clock) return false;
  }
  return true;
}

/** Element-wise maximum, so acknowledgements arriving out of order never move backwards. */
export function mergeStateVectors(a: StateVector, b: StateVector): StateVector {
  const merged = new Map(a);
  for (const [client, clock] of b) merged.set(client, Math.max(merged.get(client) ?? 0, clock));
  return merged;
}

export interface SaveState {
  /** Local updates not yet covered by a durable acknowledgement. */
  readonly pending: number;
  /** True once the server has acknowledged at least once (or a stored acknowledgement was loaded). */
  readonly acknowledged: boolean;
}

export class SaveTracker {
  private durable: StateVector;
  private acknowledged: boolean;
  /** State vectors of the local updates still waiting, oldest first. */
  private waiting: StateVector[] = [];

  /** `initialDurable`: an acknowledgement remembered from an earlier visit, if any. */
  constructor(initialDurable?: StateVector) {
    this.durable = initialDurable ?? new Map();
    this.acknowledged = initialDurable !== undefined;
  }

  /** Records one local update (a Yjs update in the v1 encoding). Updates already covered are ignored. */
  addLocalUpdate(update: Uint8Array): void {
    // `to` is, per client, the clock just past the update's last struct.
    const sv = Y.parseUpdateMeta(update).to;
    // Delete-only updates carry no structs; they ride along with the next durable commit,
    // and a state vector cannot express them, so they count until the next acknowledgement.
    if (sv.size > 0 && covers(this.durable, sv)) return;
    this.waiting.push(sv);
  }

  /** Applies a durable state vector from the server. */
  acknowledge(durable: StateVector): void {
    this.durable = mergeStateVectors(this.durable, durable);
    this.acknowledged = true;
    this.waiting = this.waiting.filter((sv) => sv.size > 0 && !covers(this.durable, sv));
  }

  /** The durable state vector known so far (to remember it across reloads). */
  durableStateVector(): StateVector {
    return new Map(this.durable);
  }

  state(): SaveState {
    return { pending: this.waiting.length, acknowledged: this.acknowledged };
  }
}
