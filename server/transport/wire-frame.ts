/**
 * Server-to-client WebSocket frames built once per message. A relayed update goes to every
 * other peer as the same bytes; `ws` would frame it again for each socket (a header buffer,
 * options, a cork and a two-buffer write each), which cost about a quarter of the CPU per
 * delivery. Framed once, each delivery is one write of a shared buffer.
 */

/** The frame of each message already framed; collected with the message. */
const framed = new WeakMap<Uint8Array, Uint8Array>();

/** `message` as one final, unmasked binary frame (RFC 6455, section 5.2), framed once. */
export function wireFrame(message: Uint8Array): Uint8Array {
  let frame = framed.get(message);
  if (!frame) {
    frame = binaryFrame(message);
    framed.set(message, frame);
  }
  return frame;
}

/** Joined frames of each sequence of messages, by its first message; one sequence kept per first message. */
const joinedAfter = new WeakMap<Uint8Array, { readonly rest: readonly Uint8Array[]; readonly bytes: Uint8Array }>();

/**
 * The frames of `messages` in one buffer, for one plain write instead of a vectored one. Every
 * connection that gets the same messages in a turn (an edit and its writer's caret, to everyone
 * else in the room) gets the same buffer, joined once.
 */
export function joinedWireFrames(messages: readonly Uint8Array[]): Uint8Array {
  const first = messages[0]!;
  const cached = joinedAfter.get(first);
  if (cached && cached.rest.length === messages.length - 1 && cached.rest.every((m, i) => m === messages[i + 1])) return cached.bytes;
  const bytes = Buffer.concat(messages.map(wireFrame));
  joinedAfter.set(first, { rest: messages.slice(1), bytes });
  return bytes;
}

function binaryFrame(message: Uint8Array): Uint8Array {
  const length = message.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x82; // FIN, opcode 2 (binary)
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.set(message, headerLength);
  return frame;
}
