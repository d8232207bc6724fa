/**
 * Which (client, clock) ranges a Yjs v1 update carries, read from its struct headers without
 * building anything. `Y.parseUpdateMeta` does the same through Yjs's lazy struct reader at a few
 * times the cost; this handles the structs the benchmarks produce (strings, deletions, GC, skips)
 * and returns null for anything else, so the caller falls back to Yjs.
 */
import * as decoding from 'lib0/decoding';

export type Range = readonly [client: number, from: number, to: number];

const CONTENT_GC = 0;
const CONTENT_DELETED = 1;
const CONTENT_STRING = 4;
const CONTENT_SKIP = 10;

export function updateRanges(update: Uint8Array): Range[] | null {
  const decoder = decoding.createDecoder(update);
  const ranges: Range[] = [];
  const clients = decoding.readVarUint(decoder);
  for (let c = 0; c < clients; c += 1) {
    const structs = decoding.readVarUint(decoder);
    const client = decoding.readVarUint(decoder);
    let clock = decoding.readVarUint(decoder);
    let start = clock;
    for (let s = 0; s < structs; s += 1) {
      const info = decoding.readUint8(decoder);
      const kind = info & 0x1f;
      if (kind === CONTENT_GC) {
        clock += decoding.readVarUint(decoder);
        continue;
      }
      if (kind === CONTENT_SKIP) {
        // A gap in a merged update: what came before is one range, what follows another.
        if (clock > start) ranges.push([client, start, clock]);
        clock += decoding.readVarUint(decoder);
        start = clock;
        continue;
      }
      if (info & 0x80) {
        decoding.readVarUint(decoder);
        decoding.readVarUint(decoder);
      }
      if (info & 0x40) {
        decoding.readVarUint(decoder);
        decoding.readVarUint(decoder);
      }
      if ((info & 0xc0) === 0) {
        if (decoding.readVarUint(decoder) === 1) decoding.readVarString(decoder);
        else {
          decoding.readVarUint(decoder);
          decoding.readVarUint(decoder);
        }
        if (info & 0x20) decoding.readVarString(decoder);
      }
      if (kind === CONTENT_STRING) clock += decoding.readVarString(decoder).length;
      else if (kind === CONTENT_DELETED) clock += decoding.readVarUint(decoder);
      else return null;
    }
    if (clock > start) ranges.push([client, start, clock]);
  }
  return ranges;
}
