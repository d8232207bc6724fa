import * as Y from 'yjs';

export type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;

/**
 * Whether `update` refers to content `doc` does not have yet, so that applying it now would
 * leave structs or deletions pending (docs/PROTOCOL.md, rule D9).
 *
 * A stock client can send such an update honestly: after a reconnect it may send a fresh edit
 * before its sync step 2, which carries the edits the server missed. The room holds it until
 * what it needs has arrived, instead of integrating something that may fail later and be blamed
 * on whoever completes it.
 */
export function hasMissingDependencies(doc: Y.Doc, update: DecodedUpdate): boolean {
  const { structs, ds } = update;
  // How far each client's history reaches once this update's own structs are counted in.
  // Plain functions below, not closures: one closure per update showed in the profile.
  const reach = new Map<number, number>();
  for (const struct of structs) {
    const { client, clock } = struct.id;
    if (struct instanceof Y.Skip) continue;
    const known = reachOf(doc, reach, client);
    if (clock > known) return true; // a gap in this client's history
    reach.set(client, Math.max(known, clock + struct.length));
  }
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const parent = struct.parent;
    if (!isKnown(doc, reach, struct.origin) || !isKnown(doc, reach, struct.rightOrigin)) return true;
    if (parent instanceof Y.ID && !isKnown(doc, reach, parent)) return true;
  }
  for (const [client, ranges] of ds.clients) {
    const known = reachOf(doc, reach, client);
    for (const range of ranges) if (range.clock + range.len > known) return true;
  }
  return false;
}

function reachOf(doc: Y.Doc, reach: Map<number, number>, client: number): number {
  return reach.get(client) ?? Y.getState(doc.store, client);
}

function isKnown(doc: Y.Doc, reach: Map<number, number>, id: Y.ID | null): boolean {
  return id === null || id.clock < reachOf(doc, reach, id.client);
}
