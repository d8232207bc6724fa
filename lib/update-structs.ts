/**
 * What a reader of Yjs v1 update bytes needs to know to walk struct headers in place, without
 * Yjs building the structs: the kinds in an info byte's low 5 bits that typing produces, the
 * info bits, and how long a string struct is in clock units.
 */
export const StructKind = { GC: 0, Deleted: 1, String: 4, Skip: 10 } as const;

export const KIND_MASK = 0x1f;
export const HAS_ORIGIN = 0x80;
export const HAS_RIGHT_ORIGIN = 0x40;
export const HAS_PARENT_SUB = 0x20;

const utf8 = new TextDecoder();

/** A Yjs string's clock length is its UTF-16 length; ASCII needs no decoding to know it. */
export function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return utf8.decode(bytes.subarray(start, end)).length;
  return end - start;
}
