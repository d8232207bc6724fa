/**
 * One simulated user: a Y.Doc behind the stock client of the server under test
 * (y-websocket's WebsocketProvider, or Hocuspocus's HocuspocusProvider), with presence on or off.
 */
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { OwnPresenceProvider } from '../../../lib/own-presence-provider';
import type { Awareness } from 'y-protocols/awareness';
import type { DocTarget } from '../peers/peers';
import type { Coverage, DeliveryTracker } from './tracker';

/** The shared type every benchmark edits (the servers treat every type alike). */
export const TEXT_FIELD = 'bench';

export interface SimClient {
  readonly doc: Y.Doc;
  readonly text: Y.Text;
  readonly awareness: Awareness;
  /** Resolves once the client has synced with the server for the first time. */
  readonly synced: Promise<void>;
  destroy(): void;
}

export interface ClientOptions {
  /** Announce a presence state (user name and colour), as an editor does; off means no local state. */
  readonly presence: boolean;
  /** y-websocket only: the stock provider (re-sends others' presence) or Tandem's app client (only its own). */
  readonly echoPresence: boolean;
  readonly index: number;
}

const COLORS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#46f0f0'];

/**
 * `ws` as a browser's WebSocket behaves: an error nobody listens for is dropped, not thrown.
 * HocuspocusProvider's destroy removes its listeners from a socket still connecting and closes
 * it; `ws` then emits "closed before the connection was established" on the next tick, and
 * with plain `ws` that error ended the whole load generator (exit code 1).
 */
class BrowserLikeWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args);
    this.on('error', () => {});
  }
}

export function openClient(target: DocTarget, options: ClientOptions): SimClient {
  const doc = new Y.Doc();
  const text = doc.getText(TEXT_FIELD);
  const presence = { user: { name: `user ${options.index}`, color: COLORS[options.index % COLORS.length] } };
  if (target.protocol === 'y-websocket') {
    const Provider = options.echoPresence ? WebsocketProvider : OwnPresenceProvider;
    const provider = new Provider(target.url, target.name, doc, {
      connect: false,
      params: { ...target.params },
      // ws's WebSocket is what the docs say to pass in Node; its type differs from the DOM one.
      WebSocketPolyfill: BrowserLikeWebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      // Retry fast: at 500 connections a few first attempts can meet a full accept queue.
      maxBackoffTime: 500,
    });
    provider.awareness.setLocalState(options.presence ? presence : null);
    const synced = new Promise<void>((resolve) => {
      const onSync = (isSynced: boolean): void => {
        if (!isSynced) return;
        provider.off('sync', onSync);
        resolve();
      };
      provider.on('sync', onSync);
    });
    provider.connect();
    return { doc, text, awareness: provider.awareness, synced, destroy: () => provider.destroy() };
  }
  let resolveSynced!: () => void;
  const synced = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });
  const provider = new HocuspocusProvider({
    url: target.url,
    name: target.name,
    document: doc,
    token: target.token ?? null,
    onSynced: ({ state }) => {
      if (state) resolveSynced();
    },
    // Passed through to the HocuspocusProviderWebsocket it creates (not in the provider's type).
    ...({ WebSocketPolyfill: BrowserLikeWebSocket } as object),
  });
  const awareness = provider.awareness;
  if (!awareness) throw new Error('hocuspocus provider without awareness');
  awareness.setLocalState(options.presence ? presence : null);
  return { doc, text, awareness, synced, destroy: () => provider.destroy() };
}

/** What the load generator needs of any client, stock or light. */
export interface BenchClient {
  readonly kind: 'stock' | 'light';
  readonly clientID: number;
  readonly coverage: Coverage;
  readonly synced: Promise<void>;
  /** Edits made by this client (its own clock). */
  readonly clock: number;
  /** One keystroke: a character at a random place (and the caret after it when presence is on). */
  edit(): void;
  destroy(): void;
}

/** A stock client whose deliveries are tracked from its Y.Doc's update events. */
export class StockClient implements BenchClient {
  readonly kind = 'stock';
  readonly coverage: Coverage;
  readonly sim: SimClient;

  constructor(
    target: DocTarget,
    private readonly tracker: DeliveryTracker,
    options: ClientOptions,
  ) {
    this.coverage = tracker.coverage();
    this.sim = openClient(target, options);
    this.sim.doc.on('update', (update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      if (!tr.local) tracker.receive(this.sim.doc.clientID, this.coverage, update, 0, update.length, performance.now());
    });
  }

  get synced(): Promise<void> {
    return this.sim.synced;
  }

  get clientID(): number {
    return this.sim.doc.clientID;
  }

  get clock(): number {
    return Y.getState(this.sim.doc.store, this.sim.doc.clientID);
  }

  edit(): void {
    const { text, awareness } = this.sim;
    const position = Math.floor(Math.random() * (text.length + 1));
    this.tracker.recordSend(this.clientID, this.clock, performance.now());
    text.insert(position, 'x');
    if (awareness.getLocalState() !== null) awareness.setLocalStateField('cursor', { index: position + 1 });
  }

  destroy(): void {
    this.sim.destroy();
  }
}
