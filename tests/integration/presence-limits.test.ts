import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../lib/protocol';
import { loadConfig } from '../../server/config';
import { DEFAULT_PRESENCE_LIMITS } from '../../server/rooms/presence';
import { frame } from '../helpers/frames';
import { RawSocket } from '../helpers/raw-socket';
import { connectClient, createDoc, createLink, startServer, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const limits = DEFAULT_PRESENCE_LIMITS;
let server: RunningServer;
beforeAll(async () => {
  // The default frame limit, as users run it: the presence caps are sized against it.
  server = await startServer({ config: { maxFrameBytes: loadConfig({ argv: [], env: {}, defaultPort: 0 }).maxFrameBytes } });
});
afterAll(async () => {
  await server.stop();
});

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** An awareness frame setting each `[clientId, state]` at clock 1. */
function awareness(entries: Array<[number, Uint8Array]>): Uint8Array {
  const parts: Array<number | Uint8Array> = [entries.length];
  for (const [clientId, state] of entries) parts.push(clientId, 1, state);
  return frame(1, frame(...parts));
}

/** Every client id with a state in the awareness frames a socket received, and their biggest frame. */
function presenceSeen(socket: RawSocket): { clients: Set<number>; largestFrame: number } {
  const clients = new Set<number>();
  let largestFrame = 0;
  for (const bytes of socket.frames) {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== 1) continue;
    largestFrame = Math.max(largestFrame, bytes.length);
    const update = decoding.createDecoder(decoding.readVarUint8Array(decoder));
    const count = decoding.readVarUint(update);
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(update);
      decoding.readVarUint(update);
      if (decoding.readVarString(update) !== 'null') clients.add(clientId);
    }
  }
  return { clients, largestFrame };
}

async function joinRaw(url: string): Promise<RawSocket> {
  const socket = new RawSocket(url);
  await socket.opened;
  return socket;
}

describe('presence limits (rules P3–P5)', () => {
  it(`closes a connection that introduces more than ${limits.maxClientsPerConnection} client ids, and keeps none of them`, async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const view = await createLink(server.url, id, ownerKey, { role: 'view' });
    const flooder = await joinRaw(`${server.wsUrl}/${id}?key=${view.key}`);
    flooder.send(awareness(Array.from({ length: 1000 }, (_, i) => [1000 + i, json({ user: { name: `ghost ${i}` } })])));
    const closed = await flooder.closed;
    expect(closed.code).toBe(CloseCode.BadRequest);
    expect(closed.reason).toMatch(/client ids/);

    const newcomer = await joinRaw(`${server.wsUrl}/${id}?key=${view.key}`);
    newcomer.send(new Uint8Array([3])); // query-awareness
    await waitFor(() => newcomer.frames.some((f) => f[0] === 1), 'the presence answer');
    expect(presenceSeen(newcomer).clients.size).toBe(0);
    newcomer.ws.close();
  });

  it(`closes a connection whose state is over ${limits.maxStateBytes} bytes`, async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const socket = await joinRaw(`${server.wsUrl}/${id}?key=${ownerKey}`);
    socket.send(awareness([[7, json({ blob: 'x'.repeat(limits.maxStateBytes) })]]));
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.BadRequest);
    expect(closed.reason).toMatch(/bytes/);
  });

  it(`holds at most ${limits.maxDocumentStateBytes} bytes of presence per document, and newcomers still join and sync`, async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const stateBytes = limits.maxStateBytes - 100;
    const perSocket = limits.maxClientsPerConnection;
    const fillers = Math.ceil((limits.maxDocumentStateBytes * 1.5) / stateBytes);
    const sockets = await Promise.all(Array.from({ length: Math.ceil(fillers / perSocket) }, () => joinRaw(`${server.wsUrl}/${id}?key=${ownerKey}`)));
    // All at once, as a flood would come: the server batches one turn's presence into one frame.
    sockets.forEach((socket, s) => {
      const ids = Array.from({ length: perSocket }, (_, i) => 10_000 + s * perSocket + i);
      socket.send(awareness(ids.map((clientId) => [clientId, json({ pad: 'p'.repeat(stateBytes - 20) })])));
    });
    const newcomer = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => newcomer.provider.synced, 'the newcomer synced', 30_000);
    const probe = await joinRaw(`${server.wsUrl}/${id}?key=${ownerKey}`);
    probe.send(new Uint8Array([3]));
    await waitFor(() => probe.frames.some((f) => f[0] === 1), 'the presence answer', 15_000);
    const seen = presenceSeen(probe);
    expect(seen.clients.size).toBeGreaterThan(0);
    expect(seen.clients.size).toBeLessThan(fillers);
    expect(seen.largestFrame).toBeLessThanOrEqual(limits.maxDocumentStateBytes + 64 * 1024);
    expect(newcomer.provider.wsconnected).toBe(true);
    newcomer.text.insert(0, 'still editing');
    const reader = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => reader.text.toString() === 'still editing', 'edits flow', 15_000);
    for (const socket of [...sockets, probe]) socket.ws.terminate();
    newcomer.destroy();
    reader.destroy();
  }, 60_000);
});
