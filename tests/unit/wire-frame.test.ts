import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { joinedWireFrames, wireFrame } from '../../server/transport/wire-frame';

/** `ws`'s frame builder, which its types leave out. */
interface WsSender {
  frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[];
}
const { Sender } = ws as unknown as { Sender: WsSender };

/** What `ws` itself writes for a server's binary message. */
function framedByWs(message: Uint8Array): Buffer {
  const parts = Sender.frame(Buffer.from(message), { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: false });
  return Buffer.concat(parts);
}

describe('server frames built once per message', () => {
  it('are byte for byte what ws writes, at every length encoding', () => {
    for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
      const message = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff);
      expect(Buffer.from(wireFrame(message)).equals(framedByWs(message)), `length ${length}`).toBe(true);
    }
  });

  it('frame a message once, however many peers it goes to', () => {
    const message = new Uint8Array([0, 2, 3, 1, 2, 3]);
    expect(wireFrame(message)).toBe(wireFrame(message));
    expect(wireFrame(message.slice())).not.toBe(wireFrame(message));
  });

  it('join the frames of a turn into one buffer, joined once for every connection that gets the same', () => {
    const update = new Uint8Array([0, 2, 3, 1, 2, 3]);
    const caret = new Uint8Array(300).fill(7);
    const ack = new Uint8Array([100, 1, 0]);
    const joined = joinedWireFrames([update, caret]);
    expect(Buffer.from(joined).equals(Buffer.concat([framedByWs(update), framedByWs(caret)]))).toBe(true);
    expect(joinedWireFrames([update, caret])).toBe(joined);
    // Another sequence with the same first message is joined for itself.
    const withAck = joinedWireFrames([update, caret, ack]);
    expect(Buffer.from(withAck).equals(Buffer.concat([framedByWs(update), framedByWs(caret), framedByWs(ack)]))).toBe(true);
    const other = joinedWireFrames([update, ack]);
    expect(Buffer.from(other).equals(Buffer.concat([framedByWs(update), framedByWs(ack)]))).toBe(true);
  });
});
