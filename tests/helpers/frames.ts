import * as encoding from 'lib0/encoding';

/** A y-websocket frame from numbers (varuints) and byte arrays (length-prefixed), in order. */
export function frame(...parts: Array<number | Uint8Array>): Uint8Array {
  const encoder = encoding.createEncoder();
  for (const part of parts) {
    if (typeof part === 'number') encoding.writeVarUint(encoder, part);
    else encoding.writeVarUint8Array(encoder, part);
  }
  return encoding.toUint8Array(encoder);
}

/** A sync "update" frame carrying `update`. */
export const updateFrame = (update: Uint8Array): Uint8Array => frame(0, 2, update);
