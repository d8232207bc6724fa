import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/** Yjs v1 struct kinds (the info byte's low 5 bits) this scan reads; any other makes it give up. */
const GC = 0;
const DELETED = 1;
const STRING = 4;
const SKIP = 10;
const HAS_ORIGIN = 0x80;
const HAS_RIGHT_ORIGIN = 0x40;
const HAS_PARENT_SUB = 0x20;

const utf8 = new TextDecoder();

/**
 * What the dependency check (dependencies.ts, rule D9) needs from a Yjs v1 update, read from its
 * bytes in place. `Y.decodeUpdate` builds every struct, ID and content object first: the first of
 * an update's two decodes, about a tenth of a durable write's CPU. This reads what typing sends
 * (strings, deletions, GC and skips) and gives up on anything else, so the caller decodes it with
 * Yjs as before. One per room: its arrays are reused from update to update.
 */
export class UpdateScan {
  /** Flat (client, first clock, end clock) per struct that is not a skip. */
  private readonly structs: number[] = [];
  private structCount = 0;
  /** Flat (client, clock) of every origin, right origin and parent an item names. */
  private readonly refs: number[] = [];
  private refCount = 0;
  /** Flat (client, end clock) per deleted range. */
  private readonly deletes: number[] = [];
  private deleteCount = 0;

  /**
   * Reads `update`; false if it holds a struct kind this does not read or is not well formed
   * (then the caller must decode it with Yjs, which also tells garbage apart).
   */
  read(update: Uint8Array): boolean {
    this.structCount = this.refCount = this.deleteCount = 0;
    try {
      const decoder = decoding.createDecoder(update);
      const end = update.length;
      const clients = decoding.readVarUint(decoder);
      for (let c = 0; c < clients; c++) {
        const structs = decoding.readVarUint(decoder);
        const client = decoding.readVarUint(decoder);
        let clock = decoding.readVarUint(decoder);
        for (let s = 0; s < structs; s++) {
          if (decoder.pos >= end) return false;
          const info = decoding.readUint8(decoder);
          const kind = info & 0x1f;
          let length: number;
          if (kind === GC || kind === SKIP) {
            length = decoding.readVarUint(decoder);
          } else {
            if (info & HAS_ORIGIN) this.addRef(decoding.readVarUint(decoder), decoding.readVarUint(decoder));
            if (info & HAS_RIGHT_ORIGIN) this.addRef(decoding.readVarUint(decoder), decoding.readVarUint(decoder));
            if ((info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN)) === 0) {
              // Parent by name (a root type, always there) or by the ID of the item it lives in.
              if (decoding.readVarUint(decoder) === 1) skipBytes(decoder, end);
              else this.addRef(decoding.readVarUint(decoder), decoding.readVarUint(decoder));
              if (info & HAS_PARENT_SUB) skipBytes(decoder, end);
            }
            if (kind === STRING) length = utf16Length(update, skipBytes(decoder, end), decoder.pos);
            else if (kind === DELETED) length = decoding.readVarUint(decoder);
            else return false;
          }
          if (kind !== SKIP) this.addStruct(client, clock, clock + length);
          clock += length;
        }
      }
      const deleteClients = decoding.readVarUint(decoder);
      for (let c = 0; c < deleteClients; c++) {
        const client = decoding.readVarUint(decoder);
        const ranges = decoding.readVarUint(decoder);
        for (let r = 0; r < ranges; r++) {
          const clock = decoding.readVarUint(decoder);
          this.addDelete(client, clock + decoding.readVarUint(decoder));
        }
      }
      return decoder.pos === end;
    } catch {
      return false;
    }
  }

  /** The update last read has no structs and deletes nothing. */
  get isEmpty(): boolean {
    return this.structCount === 0 && this.deleteCount === 0;
  }

  /** `hasMissingDependencies` for the update last read (the same answer, the same order of checks). */
  hasMissingDependencies(doc: Y.Doc): boolean {
    const reach = new Map<number, number>();
    const { structs, refs, deletes } = this;
    for (let i = 0; i < this.structCount * 3; i += 3) {
      const client = structs[i]!;
      const known = reach.get(client) ?? Y.getState(doc.store, client);
      if (structs[i + 1]! > known) return true;
      reach.set(client, Math.max(known, structs[i + 2]!));
    }
    for (let i = 0; i < this.refCount * 2; i += 2) {
      const client = refs[i]!;
      if (refs[i + 1]! >= (reach.get(client) ?? Y.getState(doc.store, client))) return true;
    }
    for (let i = 0; i < this.deleteCount * 2; i += 2) {
      const client = deletes[i]!;
      if (deletes[i + 1]! > (reach.get(client) ?? Y.getState(doc.store, client))) return true;
    }
    return false;
  }

  private addStruct(client: number, from: number, to: number): void {
    const at = this.structCount++ * 3;
    this.structs[at] = client;
    this.structs[at + 1] = from;
    this.structs[at + 2] = to;
  }

  private addRef(client: number, clock: number): void {
    const at = this.refCount++ * 2;
    this.refs[at] = client;
    this.refs[at + 1] = clock;
  }

  private addDelete(client: number, end: number): void {
    const at = this.deleteCount++ * 2;
    this.deletes[at] = client;
    this.deletes[at + 1] = end;
  }
}

/** Skips a length-prefixed string; returns where its bytes start. Throws past `end`. */
function skipBytes(decoder: decoding.Decoder, end: number): number {
  const length = decoding.readVarUint(decoder);
  const start = decoder.pos;
  if (start + length > end) throw new RangeError('unexpected end of update');
  decoder.pos = start + length;
  return start;
}

/** A Yjs string's clock length is its UTF-16 length; ASCII needs no decoding to know it. */
function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return utf8.decode(bytes.subarray(start, end)).length;
  return end - start;
}
