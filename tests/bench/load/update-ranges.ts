/**
 * Which (client, clock) ranges a Yjs v1 update carries, read from its struct headers in place,
 * without building anything. `Y.parseUpdateMeta` does the same through Yjs's lazy struct reader
 * at many times the cost; this handles the structs the benchmarks produce (strings, deletions,
 * GC, skips) and reports anything else, so the caller falls back to Yjs.
 */

/** A read position in a range of bytes; varints as lib0 writes them. */
export class ByteCursor {
  data: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;

  reset(data: Uint8Array, start: number, end: number): this {
    this.data = data;
    this.pos = start;
    this.end = end;
    return this;
  }

  byte(): number {
    if (this.pos >= this.end) throw new RangeError('unexpected end of message');
    return this.data[this.pos++]!;
  }

  /** lib0's variable-length unsigned integer (7 bits a byte, little end first, up to 2^53). */
  varUint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }

  /** Skips a length-prefixed byte string (lib0's varUint8Array and varString); returns where it started. */
  skipBytes(): number {
    const length = this.varUint();
    const start = this.pos;
    if (start + length > this.end) throw new RangeError('unexpected end of message');
    this.pos = start + length;
    return start;
  }
}

const CONTENT_GC = 0;
const CONTENT_DELETED = 1;
const CONTENT_STRING = 4;
const CONTENT_SKIP = 10;

const cursor = new ByteCursor();
const utf8 = new TextDecoder();

/**
 * Writes the ranges of the update in `data[start, end)` into `out` as flat triples (client,
 * from, to) and returns how many ranges; -1 if the update holds a struct this does not read.
 */
export function updateRanges(data: Uint8Array, start: number, end: number, out: number[]): number {
  cursor.reset(data, start, end);
  let count = 0;
  const clients = cursor.varUint();
  for (let c = 0; c < clients; c += 1) {
    const structs = cursor.varUint();
    const client = cursor.varUint();
    let clock = cursor.varUint();
    let from = clock;
    for (let s = 0; s < structs; s += 1) {
      const info = cursor.byte();
      const kind = info & 0x1f;
      if (kind === CONTENT_GC) {
        clock += cursor.varUint();
        continue;
      }
      if (kind === CONTENT_SKIP) {
        // A gap in a merged update: what came before is one range, what follows another.
        if (clock > from) put(out, count++, client, from, clock);
        clock += cursor.varUint();
        from = clock;
        continue;
      }
      if (info & 0x80) {
        cursor.varUint(); // origin
        cursor.varUint();
      }
      if (info & 0x40) {
        cursor.varUint(); // right origin
        cursor.varUint();
      }
      if ((info & 0xc0) === 0) {
        if (cursor.varUint() === 1) cursor.skipBytes(); // parent by name
        else {
          cursor.varUint(); // parent by id
          cursor.varUint();
        }
        if (info & 0x20) cursor.skipBytes(); // parent sub
      }
      if (kind === CONTENT_STRING) clock += utf16Length(data, cursor.skipBytes(), cursor.pos);
      else if (kind === CONTENT_DELETED) clock += cursor.varUint();
      else return -1;
    }
    if (clock > from) put(out, count++, client, from, clock);
  }
  return count;
}

function put(out: number[], index: number, client: number, from: number, to: number): void {
  out[index * 3] = client;
  out[index * 3 + 1] = from;
  out[index * 3 + 2] = to;
}

/** A Yjs string's clock length is its UTF-16 length; the benchmarks type ASCII, which needs no decoding. */
function utf16Length(data: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i += 1) {
    if (data[i]! >= 0x80) return utf8.decode(data.subarray(start, end)).length;
  }
  return end - start;
}
