import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { OwnPresenceProvider } from '../../lib/own-presence-provider';
import { MessageType } from '../../lib/protocol';
import { createDoc, startServer, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

let server: RunningServer;
const providers: WebsocketProvider[] = [];
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const p of providers) p.destroy();
  await server.stop();
});

/** A `ws` WebSocket that remembers the client ids of every awareness entry it sends. */
function recordingSocket(sentIds: number[]): typeof globalThis.WebSocket {
  return class RecordingSocket extends WebSocket {
    override send(data: unknown, ...rest: unknown[]): void {
      const bytes = data as Uint8Array;
      const decoder = decoding.createDecoder(bytes);
      if (decoding.readVarUint(decoder) === MessageType.Awareness) {
        const update = decoding.createDecoder(decoding.readVarUint8Array(decoder));
        const count = decoding.readVarUint(update);
        for (let i = 0; i < count; i++) {
          sentIds.push(decoding.readVarUint(update));
          decoding.readVarUint(update);
          decoding.readVarString(update);
        }
      }
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  } as unknown as typeof globalThis.WebSocket;
}

function join(Provider: typeof WebsocketProvider, docId: string, key: string, name: string) {
  const sentIds: number[] = [];
  const doc = new Y.Doc();
  const provider = new Provider(server.wsUrl, docId, doc, {
    params: { key },
    WebSocketPolyfill: recordingSocket(sentIds),
    disableBc: true,
  });
  provider.awareness.setLocalStateField('user', { name });
  providers.push(provider);
  return { provider, id: doc.clientID, sentIds };
}

const nameOf = (seer: WebsocketProvider, clientId: number) =>
  (seer.awareness.getStates().get(clientId) as { user?: { name: string } } | undefined)?.user?.name;

describe('the app client sends only its own presence', () => {
  it('never re-sends the entries of others, while a stock client does', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const own = join(OwnPresenceProvider, id, ownerKey, 'Own');
    const stockA = join(WebsocketProvider, id, ownerKey, 'Stock A');
    const stockB = join(WebsocketProvider, id, ownerKey, 'Stock B');
    const everyone = [own, stockA, stockB];
    await waitFor(() => everyone.every((p) => p.provider.synced), 'all synced');
    // Each moves its "caret" a few times, so every client receives changes from the others.
    for (let move = 0; move < 3; move++) {
      for (const p of everyone) p.provider.awareness.setLocalStateField('caret', move);
    }
    await waitFor(
      () => everyone.every((seer) => everyone.every((p) => (seer.provider.awareness.getStates().get(p.id) as { caret?: number } | undefined)?.caret === 2)),
      'every caret at its last place everywhere',
    );
    expect(nameOf(own.provider, stockA.id)).toBe('Stock A');

    expect(new Set(own.sentIds)).toEqual(new Set([own.id]));
    // The control: the stock client echoes what it received, which is what the app client avoids.
    expect(stockA.sentIds.some((clientId) => clientId !== stockA.id)).toBe(true);
  });

  it('is seen by stock clients, including a late joiner, and its leaving removes it', async () => {
    const { id, ownerKey } = await createDoc(server.url);
    const own = join(OwnPresenceProvider, id, ownerKey, 'Own');
    const stock = join(WebsocketProvider, id, ownerKey, 'Stock');
    await waitFor(() => nameOf(stock.provider, own.id) === 'Own' && nameOf(own.provider, stock.id) === 'Stock', 'each sees the other');
    const late = join(WebsocketProvider, id, ownerKey, 'Late');
    await waitFor(() => nameOf(late.provider, own.id) === 'Own', 'a late stock joiner sees the app client');

    own.provider.awareness.setLocalState(null);
    await waitFor(() => !stock.provider.awareness.getStates().has(own.id), 'a cleared state reaches stock clients');
    own.provider.awareness.setLocalState({ user: { name: 'Own again' } });
    await waitFor(() => nameOf(stock.provider, own.id) === 'Own again', 'back again');
    own.provider.destroy();
    await waitFor(() => !stock.provider.awareness.getStates().has(own.id) && !late.provider.awareness.getStates().has(own.id), 'removed when it leaves');
  });
});
