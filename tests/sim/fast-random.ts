import { webcrypto } from 'node:crypto';

/**
 * Every `new Y.Doc()` draws 32 random numbers (its guid and client id) through
 * `crypto.getRandomValues`, one system call each; on a busy VM that is about a millisecond per
 * document, most of a simulation run. Nothing the simulation checks depends on those numbers
 * (every replica's client id is seeded), so in the simulation's process they come from a fast
 * generator instead. Import this module before anything that imports yjs or lib0.
 */
let state = 0x2545f491;
webcrypto.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
  if (!array) return array;
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return array;
};
