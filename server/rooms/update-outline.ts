import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';

/** Numbers per struct in `UpdateOutline.structs`. */
export const STRUCT_FIELDS = 11;
/** Where each of a struct's numbers is, from the first (its kind). */
export const CLIENT_AT = 1;
export const CLOCK_AT = 2;
export const LENGTH_AT = 3;
/** Its references, a client and a clock each: origin, right origin, parent. */
export const ORIGIN_AT = 4;
export const RIGHT_ORIGIN_AT = 6;
export const REFERENCES_END = 10;
/** The byte offset of its content in the update, if that is an ASCII string read in place (-1 otherwise). */
export const CONTENT_AT = 10;
/** Numbers per deleted range in `UpdateOutline.deletions`. */
export const DELETION_FIELDS = 3;

/** The kinds of struct, the first number of each in `UpdateOutline.structs`. */
export const GC_STRUCT = 0;
export const ITEM_STRUCT = 1;
export const SKIP_STRUCT = 2;

/**
 * What a room needs to know of a client update before integrating it: where each struct sits
 * and what it refers to, and which ranges it deletes (docs/PROTOCOL.md, rule D9). Flat arrays of
 * numbers: `Y.decodeUpdate` built a dozen objects per one-character update (a reader, a
 * generator, the item, its ids, its content, a delete set and its map), all garbage at once.
 */
export interface UpdateOutline {
  /**
   * STRUCT_FIELDS numbers per struct: its kind, client, clock and length, then the client and
   * clock of its origin, of its right origin and of its parent when that is an item (-1 when
   * there is none), then where its content starts in the update if it is a string read in
   * place (-1 otherwise).
   */
  readonly structs: readonly number[];
  /** DELETION_FIELDS numbers per deleted range: client, clock, length. */
  readonly deletions: readonly number[];
}

/**
 * The outline of a Yjs (v1) update, or a throw for one that Yjs cannot decode. The usual update
 * (ASCII text typed, or deleted) is read straight from its bytes; for anything else, or anything
 * the reader is unsure of, `Y.decodeUpdate` decides and the outline is taken from its result. So
 * what is refused stays exactly what Yjs refuses: the reader accepts only bytes that Yjs reads
 * the same way without failing.
 */
export function outlineUpdate(update: Uint8Array): UpdateOutline {
  return readPlainUpdate(update) ?? outlineOf(Y.decodeUpdate(update));
}

/** The outline of an update Yjs has decoded. */
export function outlineOf(decoded: ReturnType<typeof Y.decodeUpdate>): UpdateOutline {
  const structs: number[] = [];
  for (const struct of decoded.structs) {
    const { client, clock } = struct.id;
    if (struct instanceof Y.Item) {
      const parent = struct.parent instanceof Y.ID ? struct.parent : null;
      structs.push(ITEM_STRUCT, client, clock, struct.length, ...idFields(struct.origin), ...idFields(struct.rightOrigin), ...idFields(parent), -1);
    } else {
      structs.push(struct instanceof Y.Skip ? SKIP_STRUCT : GC_STRUCT, client, clock, struct.length, -1, -1, -1, -1, -1, -1, -1);
    }
  }
  const deletions: number[] = [];
  for (const [client, ranges] of decoded.ds.clients) for (const range of ranges) deletions.push(client, range.clock, range.len);
  return { structs, deletions };
}

function idFields(id: Y.ID | null): [number, number] {
  return id ? [id.client, id.clock] : [-1, -1];
}

/** Yjs's struct info byte: content kind in the low five bits, then which fields are written. */
const CONTENT_BITS = 0b11111;
const HAS_PARENT_SUB = 0b100000;
const HAS_RIGHT_ORIGIN = 0b1000000;
const HAS_ORIGIN = 0b10000000;
const SKIP_INFO = 10;
const CONTENT_DELETED = 1;
const CONTENT_STRING = 4;
/** Longest variable-length integer read here: 49 bits, far from where lib0 refuses one (2^53). */
const MAX_VAR_UINT_BYTES = 7;

/** Where the reader is in the bytes; -1 once it has given up. */
class Cursor {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * The outline of an update made only of GC, skip, deleted-content and ASCII-string structs,
 * read the way Yjs's v1 decoder reads them; null for anything else (other content, a string
 * that is not ASCII, which Yjs decodes strictly, a read past the end, a huge number).
 */
export function readPlainUpdate(update: Uint8Array): UpdateOutline | null {
  const cursor = new Cursor(update);
  const structs: number[] = [];
  const clients = readVarUint(cursor);
  for (let c = 0; c < clients && cursor.pos >= 0; c++) {
    const count = readVarUint(cursor);
    const client = readVarUint(cursor);
    let clock = readVarUint(cursor);
    for (let s = 0; s < count && cursor.pos >= 0; s++) {
      const length = readStruct(cursor, structs, client, clock);
      clock += length;
    }
  }
  const deletions: number[] = [];
  const deleting = readVarUint(cursor);
  for (let c = 0; c < deleting && cursor.pos >= 0; c++) {
    const client = readVarUint(cursor);
    const ranges = readVarUint(cursor);
    for (let r = 0; r < ranges && cursor.pos >= 0; r++) deletions.push(client, readVarUint(cursor), readVarUint(cursor));
  }
  return cursor.pos >= 0 ? { structs, deletions } : null;
}

/** Reads one struct into `structs` and returns its length (anything, once the cursor gave up). */
function readStruct(cursor: Cursor, structs: number[], client: number, clock: number): number {
  const info = readByte(cursor);
  if (info === SKIP_INFO || (info & CONTENT_BITS) === 0) {
    const length = readVarUint(cursor);
    structs.push(info === SKIP_INFO ? SKIP_STRUCT : GC_STRUCT, client, clock, length, -1, -1, -1, -1, -1, -1, -1);
    return length;
  }
  const content = info & CONTENT_BITS;
  if (content !== CONTENT_STRING && content !== CONTENT_DELETED) return giveUp(cursor);
  const originClient = info & HAS_ORIGIN ? readVarUint(cursor) : -1;
  const originClock = info & HAS_ORIGIN ? readVarUint(cursor) : -1;
  const rightClient = info & HAS_RIGHT_ORIGIN ? readVarUint(cursor) : -1;
  const rightClock = info & HAS_RIGHT_ORIGIN ? readVarUint(cursor) : -1;
  let parentClient = -1;
  let parentClock = -1;
  if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
    // No origin to take the parent from: a root type's name, or the id of the item that holds it.
    if (readVarUint(cursor) === 1) {
      skipAsciiString(cursor);
    } else {
      parentClient = readVarUint(cursor);
      parentClock = readVarUint(cursor);
    }
    if (info & HAS_PARENT_SUB) skipAsciiString(cursor);
  }
  const contentAt = content === CONTENT_STRING ? cursor.pos : -1;
  const length = content === CONTENT_STRING ? skipAsciiString(cursor) : readVarUint(cursor);
  structs.push(ITEM_STRUCT, client, clock, length, originClient, originClock, rightClient, rightClock, parentClient, parentClock, contentAt);
  return length;
}

function readByte(cursor: Cursor): number {
  if (cursor.pos < 0 || cursor.pos >= cursor.bytes.length) return giveUp(cursor);
  return cursor.bytes[cursor.pos++]!;
}

/** lib0's variable-length unsigned integer. */
function readVarUint(cursor: Cursor): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VAR_UINT_BYTES && cursor.pos >= 0; i++) {
    const byte = readByte(cursor);
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  return giveUp(cursor);
}

/** Skips a lib0 string whose bytes are all ASCII; returns its length (its UTF-16 length too). */
function skipAsciiString(cursor: Cursor): number {
  const length = readVarUint(cursor);
  const { bytes } = cursor;
  if (cursor.pos < 0 || cursor.pos + length > bytes.length) return giveUp(cursor);
  const end = cursor.pos + length;
  for (let i = cursor.pos; i < end; i++) if (bytes[i]! >= 0x80) return giveUp(cursor);
  cursor.pos = end;
  return length;
}

function giveUp(cursor: Cursor): number {
  cursor.pos = -1;
  return 0;
}

/**
 * Whether `update` inserts one ASCII string and nothing else, written as Yjs writes it (one
 * client, one struct): what a client sends for each character typed.
 */
export function isOneInsertion(update: Uint8Array, outline: UpdateOutline): boolean {
  const { structs } = outline;
  return (
    structs.length === STRUCT_FIELDS &&
    structs[0] === ITEM_STRUCT &&
    structs[LENGTH_AT]! > 0 &&
    structs[CONTENT_AT]! >= 0 &&
    outline.deletions.length === 0 &&
    update[0] === 1 &&
    update[1] === 1
  );
}

/**
 * One update for insertions that each continue the one before (each is one insertion, of the
 * same client, its clock where the one before ends, its origin the last character of the one
 * before, the same right origin): the first with every later string appended to its own, as
 * Yjs merges such structs itself when it merges updates or tidies a transaction.
 */
export function appendInsertions(updates: readonly Uint8Array[], outlines: readonly UpdateOutline[]): Uint8Array {
  const first = updates[0]!;
  const firstContentAt = outlines[0]!.structs[CONTENT_AT]!;
  const encoder = encoding.createEncoder();
  encoding.writeUint8Array(encoder, first.subarray(0, firstContentAt));
  let length = 0;
  for (const outline of outlines) length += outline.structs[LENGTH_AT]!;
  encoding.writeVarUint(encoder, length);
  for (let i = 0; i < updates.length; i++) {
    const cursor = new Cursor(updates[i]!);
    cursor.pos = outlines[i]!.structs[CONTENT_AT]!;
    const bytes = readVarUint(cursor);
    encoding.writeUint8Array(encoder, updates[i]!.subarray(cursor.pos, cursor.pos + bytes));
  }
  encoding.writeVarUint(encoder, 0); // no deletions
  return encoding.toUint8Array(encoder);
}
