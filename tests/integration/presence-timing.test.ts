import type { Socket } from 'node:net';
import * as decoding from 'lib0/decoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { RENEWAL_WAIT_MS } from '../../server/rooms/room';
import { frame, updateFrame } from '../helpers/frames';
import { RawSocket } from '../helpers/raw-socket';
import { createDoc, startServer, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

let server: RunningServer;
const sockets: RawSocket[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});
afterAll(async () => {
  await server.stop();
});

const WRITER = 424242;

/** An awareness frame setting the writer's caret at `position`, at `clock` (by default the position). */
function caretFrame(position: number, clock = position): Uint8Array {
  const state = new TextEncoder().encode(JSON.stringify({ user: { name: 'writer' }, cursor: position }));
  return frame(1, frame(1, WRITER, clock, state));
}

/** The client ids of an awareness frame's entries, in order. */
function clientsIn(awareness: Uint8Array): number[] {
  const outer = decoding.createDecoder(awareness);
  decoding.readVarUint(outer);
  const entries = decoding.createDecoder(decoding.readVarUint8Array(outer));
  const clients: number[] = [];
  for (let count = decoding.readVarUint(entries); count > 0; count--) {
    clients.push(decoding.readVarUint(entries));
    decoding.readVarUint(entries);
    decoding.readVarString(entries);
  }
  return clients;
}

/** `count` raw connections to a new document, each open. */
async function connections(count: number): Promise<RawSocket[]> {
  const { id, ownerKey } = await createDoc(server.url);
  const opened: RawSocket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    sockets.push(socket);
    await socket.opened;
    opened.push(socket);
  }
  return opened;
}

/** Sends frames in one TCP write, so the server reads them together, as it does an editor's keystroke and caret move. */
function sendTogether(socket: RawSocket, frames: Uint8Array[]): void {
  const tcp = (socket.ws as unknown as { _socket: Socket })._socket;
  tcp.cork();
  for (const f of frames) socket.send(f);
  tcp.uncork();
}

/** What a socket received since `from`, as 'update' (sync update) and 'caret N' (the writer's awareness at clock N). */
function received(socket: RawSocket, from: number): string[] {
  return socket.frames.slice(from).flatMap((f) => {
    if (f[0] === 0 && f[1] === 2) return ['update'];
    if (f[0] !== 1) return [];
    const outer = decoding.createDecoder(f);
    decoding.readVarUint(outer);
    const entries = decoding.createDecoder(decoding.readVarUint8Array(outer));
    const carets: string[] = [];
    for (let count = decoding.readVarUint(entries); count > 0; count--) {
      const client = decoding.readVarUint(entries);
      const clock = decoding.readVarUint(entries);
      decoding.readVarString(entries);
      if (client === WRITER) carets.push(`caret ${clock}`);
    }
    return carets;
  });
}

/** A writer typing: each keystroke's update and its caret move, as an editor sends them. */
function keystrokes(count: number): Array<[Uint8Array, Uint8Array]> {
  const doc = new Y.Doc();
  doc.clientID = WRITER;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++) doc.getText('t').insert(i, 'x');
  return updates.map((update, i) => [updateFrame(update), caretFrame(i + 1)]);
}

describe('when presence is relayed (rule P9)', () => {
  it("a writer's caret move read with its edit reaches the others after that edit, every time (SQLite)", async () => {
    const [reader, writer] = (await connections(2)) as [RawSocket, RawSocket];
    const strokes = keystrokes(20);
    for (const [i, [update, caret]] of strokes.entries()) {
      const from = reader.frames.length;
      sendTogether(writer, [update, caret]);
      await waitFor(() => received(reader, from).length >= 2, `keystroke ${i + 1} and its caret at the reader`);
      // The commit (synchronous on SQLite) runs before the turn's presence goes out, so a caret
      // never points past a character the reader does not have yet.
      expect(received(reader, from)).toEqual(['update', `caret ${i + 1}`]);
    }
  });

  it('a renewal (the same state, a newer clock) waits and goes out in the frame of the next change', async () => {
    const [reader, writer, other] = (await connections(3)) as [RawSocket, RawSocket, RawSocket];
    const [[update]] = keystrokes(1) as [[Uint8Array, Uint8Array]];
    writer.send(caretFrame(1));
    await waitFor(() => received(reader, 0).includes('caret 1'), 'the first state');
    const from = reader.frames.length;
    // The renewal, then an edit on the same socket: once the edit is relayed, the renewal was read.
    writer.send(caretFrame(1, 2));
    writer.send(update);
    await waitFor(() => received(reader, from).includes('update'), 'the edit after the renewal');
    expect(received(reader, from)).toEqual(['update']);
    // Someone else moves: the waiting renewal rides in that frame.
    other.send(frame(1, frame(1, 777, 1, new TextEncoder().encode('{"user":{"name":"other"}}'))));
    await waitFor(() => reader.frames.length > from + 1, 'the next presence frame');
    const next = reader.frames.slice(from).filter((f) => f[0] === 1);
    expect(next.map(clientsIn)).toEqual([[777, WRITER]]);
  });

  it(`a renewal with no change after it reaches the others within ${RENEWAL_WAIT_MS} ms`, async () => {
    const [reader, writer] = (await connections(2)) as [RawSocket, RawSocket];
    writer.send(caretFrame(1));
    await waitFor(() => received(reader, 0).includes('caret 1'), 'the first state');
    const from = reader.frames.length;
    const sentAt = performance.now();
    writer.send(caretFrame(1, 2));
    await waitFor(() => received(reader, from).includes('caret 2'), 'the renewal', RENEWAL_WAIT_MS + 3_000);
    // Not a timed assertion on speed: a bound on how long it is held, with a second of slack.
    expect(performance.now() - sentAt).toBeLessThan(RENEWAL_WAIT_MS + 1_000);
  });
});
