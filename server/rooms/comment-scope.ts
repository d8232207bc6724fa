import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { COMMENTS_FIELD } from '../../lib/comments/comment-doc';
type DecodedUpdate = ReturnType<typeof Y.decodeUpdate>;
type Struct = DecodedUpdate['structs'][number];

/** How deep a chain of references inside one update is followed before it counts as outside. */
const MAX_DEPTH = 1_000;

/** What a comment-only key's update may do, ready to integrate. */
export interface ScopedUpdate {
  /** The update to integrate: the original bytes when nothing was outside the comments. */
  readonly update: Uint8Array;
  /** Insertions and deletions that were outside the comments and were taken out. */
  readonly dropped: number;
}

/** The structs of one update by client, in clock order, to find the one that holds an id. */
class UpdateStructs {
  private readonly byClient = new Map<number, Struct[]>();

  constructor(structs: readonly Struct[]) {
    for (const struct of structs) {
      const list = this.byClient.get(struct.id.client);
      if (list) list.push(struct);
      else this.byClient.set(struct.id.client, [struct]);
    }
  }

  get clients(): ReadonlyMap<number, readonly Struct[]> {
    return this.byClient;
  }

  find(client: number, clock: number): Struct | null {
    const list = this.byClient.get(client);
    if (!list) return null;
    let low = 0;
    let high = list.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const struct = list[mid]!;
      if (clock < struct.id.clock) high = mid - 1;
      else if (clock >= struct.id.clock + struct.length) low = mid + 1;
      else return struct;
    }
    return null;
  }
}

/**
 * Keeps only what a comment-only key may change: content of the root type `comments`
 * (docs/PROTOCOL.md, rule C1). Runs on a decoded update whose dependencies the document already
 * has (rule D9), before it is integrated.
 *
 * An item is inside when its parent type lies under `comments` and so do the items it was
 * inserted between (its origins): an item's parent is often not written at all and is taken from
 * its left or right neighbour, and an item placed next to a character of the text would be
 * linked into the text whatever parent it names. Parents and origins are looked up in the update
 * itself first, then in the document. A deletion is inside when every item it covers is.
 *
 * Items outside become GC structs of the same id and length, and deletions outside are removed.
 * Dropping the whole update instead would leave a hole in the client's history: Yjs then holds
 * everything that client sends afterwards as pending, on the server and on every replica, so
 * none of its later comments would ever appear. A GC struct records only that those clock
 * values were used, as Yjs itself does for garbage-collected content; nothing of the change is
 * applied, stored or relayed.
 */
export function limitToComments(doc: Y.Doc, update: Uint8Array, decoded: DecodedUpdate = Y.decodeUpdate(update)): ScopedUpdate {
  const own = new UpdateStructs(decoded.structs);
  const comments = doc.share.get(COMMENTS_FIELD) ?? null;
  const verdicts = new Map<Struct, boolean>();

  const storeStruct = (client: number, clock: number): Y.Item | Y.GC | null => {
    const structs = doc.store.clients.get(client);
    if (!structs || clock >= Y.getState(doc.store, client)) return null;
    try {
      return structs[Y.findIndexSS(structs, clock)] ?? null;
    } catch {
      return null;
    }
  };

  /** Whether an integrated type lies under `comments` (or is it). */
  const typeInside = (type: Y.AbstractType<unknown>): boolean => {
    let current = type;
    for (let depth = 0; current._item !== null; depth++) {
      const parent = current._item.parent;
      if (!(parent instanceof Y.AbstractType) || depth > MAX_DEPTH) return false;
      current = parent;
    }
    return comments !== null && current === comments;
  };

  const storedItemInside = (item: Y.Item | Y.GC): boolean => item instanceof Y.Item && item.parent instanceof Y.AbstractType && typeInside(item.parent);

  /** Whether the item holding `id` (in this update or the document) is an item inside the comments. */
  const itemAtInside = (id: Y.ID, depth: number): boolean => {
    const inUpdate = own.find(id.client, id.clock);
    if (inUpdate) return itemInside(inUpdate, depth + 1);
    const stored = storeStruct(id.client, id.clock);
    return stored !== null && storedItemInside(stored);
  };

  /** Whether the type the item with `id` holds lies under `comments`. */
  const typeAtInside = (id: Y.ID, depth: number): boolean => {
    const inUpdate = own.find(id.client, id.clock);
    if (inUpdate) return inUpdate instanceof Y.Item && inUpdate.content instanceof Y.ContentType && itemInside(inUpdate, depth + 1);
    const stored = storeStruct(id.client, id.clock);
    return stored instanceof Y.Item && stored.content instanceof Y.ContentType && typeInside(stored.content.type as Y.AbstractType<unknown>);
  };

  function itemInside(struct: Struct, depth: number): boolean {
    const known = verdicts.get(struct);
    if (known !== undefined) return known;
    if (!(struct instanceof Y.Item) || depth > MAX_DEPTH) return false;
    // A cycle of references through this item reads as outside.
    verdicts.set(struct, false);
    const parent = struct.parent as unknown;
    let inside =
      !(struct.content instanceof Y.ContentDoc) &&
      (struct.origin === null || itemAtInside(struct.origin, depth)) &&
      (struct.rightOrigin === null || itemAtInside(struct.rightOrigin, depth));
    if (inside) {
      if (typeof parent === 'string') inside = parent === COMMENTS_FIELD;
      else if (parent instanceof Y.ID) inside = typeAtInside(parent, depth);
      // No parent written: it is taken from an origin, and those were checked above.
      else inside = parent === null && (struct.origin !== null || struct.rightOrigin !== null);
    }
    verdicts.set(struct, inside);
    return inside;
  }

  let dropped = 0;
  const replaced = new Map<Struct, Y.GC>();
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item) || itemInside(struct, 0)) continue;
    dropped++;
    replaced.set(struct, new Y.GC(struct.id, struct.length));
  }

  const keptDeletions = new Map<number, Array<{ clock: number; len: number }>>();
  for (const [client, ranges] of decoded.ds.clients) {
    const keep: Array<{ clock: number; len: number }> = [];
    for (const range of ranges) {
      const end = range.clock + range.len;
      let clock = range.clock;
      while (clock < end) {
        const inUpdate = own.find(client, clock);
        const struct = inUpdate ?? storeStruct(client, clock);
        if (!struct) {
          dropped++;
          break;
        }
        const until = Math.min(end, struct.id.clock + struct.length);
        const inside = inUpdate ? itemInside(inUpdate, 0) : storedItemInside(struct as Y.Item | Y.GC);
        if (inside) {
          const last = keep[keep.length - 1];
          if (last && last.clock + last.len === clock) last.len += until - clock;
          else keep.push({ clock, len: until - clock });
        } else if (struct instanceof Y.Item) {
          dropped++;
        }
        clock = until;
      }
    }
    if (keep.length > 0) keptDeletions.set(client, keep);
  }

  if (dropped === 0) return { update, dropped };
  const structs = decoded.structs.map((struct) => replaced.get(struct) ?? struct);
  return { update: encodeStructUpdate(structs, keptDeletions), dropped };
}

/**
 * Writes structs and a delete set as a v1 update. The structs of each client must be
 * contiguous and in clock order, as `Y.decodeUpdate` returns them.
 */
export function encodeStructUpdate(structs: readonly Struct[], deletions: ReadonlyMap<number, ReadonlyArray<{ clock: number; len: number }>>): Uint8Array {
  const byClient = new UpdateStructs(structs).clients;
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, byClient.size);
  for (const [client, list] of byClient) {
    encoding.writeVarUint(encoder.restEncoder, list.length);
    encoder.writeClient(client);
    encoding.writeVarUint(encoder.restEncoder, list[0]!.id.clock);
    for (const struct of list) struct.write(encoder, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, deletions.size);
  for (const [client, ranges] of deletions) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, ranges.length);
    for (const range of ranges) {
      encoder.writeDsClock(range.clock);
      encoder.writeDsLen(range.len);
    }
  }
  return encoder.toUint8Array();
}
