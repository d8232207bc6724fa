/**
 * Remembers, per document, the last durable state vector the server acknowledged, so a reload
 * (even offline) knows which locally stored changes were already saved.
 */
import type { StateVector } from '../../lib/save-tracker';

const prefix = (docId: string) => `tandem:durable:${docId}`;

export function loadDurable(docId: string): StateVector | undefined {
  try {
    const raw = localStorage.getItem(prefix(docId));
    if (!raw) return undefined;
    const pairs: unknown = JSON.parse(raw);
    if (!Array.isArray(pairs)) return undefined;
    const sv: StateVector = new Map();
    for (const pair of pairs) {
      if (Array.isArray(pair) && typeof pair[0] === 'number' && typeof pair[1] === 'number') sv.set(pair[0], pair[1]);
    }
    return sv;
  } catch {
    return undefined;
  }
}

export function saveDurable(docId: string, sv: StateVector): void {
  try {
    localStorage.setItem(prefix(docId), JSON.stringify([...sv]));
  } catch {
    // Storage full or disabled: only the reload accuracy suffers.
  }
}
