import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { wireFrame } from '../../server/transport/wire-frame';

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
});
