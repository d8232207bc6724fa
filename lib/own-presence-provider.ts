/**
 * The WebSocket provider Tandem's app and scripts use: y-websocket's `WebsocketProvider`, except
 * that it sends only its own presence.
 *
 * The stock provider re-sends every awareness change it sees, other clients' entries received
 * from the server included, so with N people every caret move costs the server N-1 inbound
 * frames it must parse and drop (rule P1). This one sends a change only when it touches this
 * client's own entry, and then only that entry, which is all a peer needs: every other entry
 * reaches it from its owner. The wire protocol is unchanged, so it talks to any y-websocket
 * server and stock clients see its presence as before.
 */
import { WebsocketProvider } from 'y-websocket';

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

/** y-websocket 3.1 keeps its sender and its listener as instance fields: the seam we replace. */
interface ProviderInternals {
  _awarenessUpdateHandler: (change: AwarenessChange, origin: unknown) => void;
}

export class OwnPresenceProvider extends WebsocketProvider {
  constructor(...args: ConstructorParameters<typeof WebsocketProvider>) {
    super(...args);
    const internals = this as unknown as ProviderInternals;
    this.awareness.off('update', internals._awarenessUpdateHandler);
    const stockHandler = internals._awarenessUpdateHandler;
    // `destroy()` unregisters whatever this field holds, so the replacement is torn down as before.
    internals._awarenessUpdateHandler = (change) => {
      const own = this.awareness.clientID;
      const touchesOwn = change.added.includes(own) || change.updated.includes(own) || change.removed.includes(own);
      if (!touchesOwn) return;
      // The stock sender (WebSocket and BroadcastChannel alike), given only this client's entry.
      stockHandler({ added: [], updated: [own], removed: [] }, this);
    };
    this.awareness.on('update', internals._awarenessUpdateHandler);
  }
}

