import * as Y from 'yjs';
import { CLIENT_AT, CLOCK_AT, DELETION_FIELDS, ITEM_STRUCT, LENGTH_AT, ORIGIN_AT, REFERENCES_END, SKIP_STRUCT, STRUCT_FIELDS, type UpdateOutline } from './update-outline';

/**
 * Whether `update` refers to content `doc` does not have yet, so that applying it now would
 * leave structs or deletions pending (docs/PROTOCOL.md, rule D9).
 *
 * A stock client can send such an update honestly: after a reconnect it may send a fresh edit
 * before its sync step 2, which carries the edits the server missed. The room holds it until
 * what it needs has arrived, instead of integrating something that may fail later and be blamed
 * on whoever completes it.
 */
export function hasMissingDependencies(doc: Y.Doc, update: UpdateOutline): boolean {
  const { structs, deletions } = update;
  // How far each client's history reaches once this update's own structs are counted in.
  // Plain functions below, not closures: one closure per update showed in the profile.
  const reach = new Map<number, number>();
  for (let i = 0; i < structs.length; i += STRUCT_FIELDS) {
    if (structs[i] === SKIP_STRUCT) continue;
    const client = structs[i + CLIENT_AT]!;
    const clock = structs[i + CLOCK_AT]!;
    const known = reachOf(doc, reach, client);
    if (clock > known) return true; // a gap in this client's history
    reach.set(client, Math.max(known, clock + structs[i + LENGTH_AT]!));
  }
  for (let i = 0; i < structs.length; i += STRUCT_FIELDS) {
    if (structs[i] !== ITEM_STRUCT) continue;
    // Origin, right origin and parent (when it is an item), each a client and a clock or -1s.
    for (let field = i + ORIGIN_AT; field < i + REFERENCES_END; field += 2) {
      if (!isKnown(doc, reach, structs[field]!, structs[field + 1]!)) return true;
    }
  }
  for (let i = 0; i < deletions.length; i += DELETION_FIELDS) {
    if (deletions[i + 1]! + deletions[i + 2]! > reachOf(doc, reach, deletions[i]!)) return true;
  }
  return false;
}

function reachOf(doc: Y.Doc, reach: Map<number, number>, client: number): number {
  return reach.get(client) ?? Y.getState(doc.store, client);
}

/** Whether the id (client, clock) is in `doc` or this update; a client of -1 is no id at all. */
function isKnown(doc: Y.Doc, reach: Map<number, number>, client: number, clock: number): boolean {
  return client === -1 || clock < reachOf(doc, reach, client);
}
