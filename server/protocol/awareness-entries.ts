import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { ProtocolError } from './frames';

/**
 * One entry of a y-protocols awareness update. The state stays as its raw JSON bytes: the
 * server never needs to look inside, so it never pays for JSON.parse.
 */
export interface AwarenessEntry {
  readonly clientId: number;
  readonly clock: number;
  /** UTF-8 JSON of the state; `null` when the entry removes the client. */
  readonly state: Uint8Array | null;
}

const NULL_JSON = new TextEncoder().encode('null');

function isNullJson(bytes: Uint8Array): boolean {
  return bytes.length === 4 && bytes[0] === NULL_JSON[0] && bytes[1] === NULL_JSON[1] && bytes[2] === NULL_JSON[2] && bytes[3] === NULL_JSON[3];
}

/** Decodes an awareness update into entries, throwing ProtocolError if it is malformed. */
export function decodeAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    const entries: AwarenessEntry[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      // A varString is a varUint8Array of UTF-8; reading bytes skips decoding the text.
      const state = decoding.readVarUint8Array(decoder);
      entries.push({ clientId, clock, state: isNullJson(state) ? null : state });
    }
    return entries;
  } catch {
    throw new ProtocolError('malformed awareness update');
  }
}

/** Encodes entries as a y-protocols awareness update. */
export function encodeAwarenessEntries(entries: Iterable<AwarenessEntry>, count: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, count);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarUint8Array(encoder, entry.state ?? NULL_JSON);
  }
  return encoding.toUint8Array(encoder);
}
