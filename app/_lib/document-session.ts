/**
 * One open document as an external store: the Y.Doc, its offline copy in IndexedDB, the
 * WebSocket provider, and the truthful status (connection, what is durably saved, refusal).
 * React reads it through `useSyncExternalStore`; `open()` starts everything and returns the
 * function that tears it all down, so it fits an effect (and StrictMode's open, close, open).
 */
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import type { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { MessageType, SAVED_ACK_PARAM } from '../../lib/protocol';
import { SaveTracker, type SaveState } from '../../lib/save-tracker';
import { connectionStatus, type ConnectionFacts, type ConnectionStatus } from './connection-status';
import { deferLocalWrites, ONLINE_WRITE_INTERVAL_MS } from './deferred-local-writes';
import { loadDurable, saveDurable } from './durable-store';
import { applyQuietly } from './quiet-apply';
import type { Identity } from './identity';
import { refusalFromClose, type Refusal } from './refusal';
import { clearRescue, saveRescue, takeRescue } from './rescue-store';
import { OwnPresenceProvider } from '../../lib/own-presence-provider';

export interface CollabSession {
  readonly ydoc: Y.Doc;
  readonly provider: WebsocketProvider;
}

export interface SessionStatus {
  readonly connection: ConnectionStatus;
  readonly save: SaveState;
  /** The offline copy finished loading (the editor can show content). */
  readonly localLoaded: boolean;
  readonly refusal: Refusal | null;
}

export interface SessionSnapshot {
  /** Null until the content is synced (or the server is out of reach and the local copy shows). */
  readonly session: CollabSession | null;
  readonly status: SessionStatus;
}

const CLOSED: SessionSnapshot = {
  session: null,
  status: { connection: 'connecting', save: { pending: 0, acknowledged: false }, localLoaded: false, refusal: null },
};

/** IndexedDB may be unavailable (private mode) or blocked: do not wait for it forever. */
const LOCAL_LOAD_TIMEOUT_MS = 2000;
/** How long to wait for the server before showing the local copy anyway. */
const FIRST_SYNC_TIMEOUT_MS = 4000;

function sameStatus(a: SessionStatus, b: SessionStatus): boolean {
  return (
    a.connection === b.connection &&
    a.save.pending === b.save.pending &&
    a.save.acknowledged === b.save.acknowledged &&
    a.localLoaded === b.localLoaded &&
    a.refusal === b.refusal
  );
}

function websocketBase(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/collab`;
}

export class DocumentSession {
  private snapshot: SessionSnapshot = CLOSED;
  private readonly listeners = new Set<() => void>();
  private identity: Identity;
  private provider: WebsocketProvider | null = null;

  /**
   * `localCopyFirst`: whether this browser may hold a copy of the document (it opened it
   * before). The copy is then loaded before connecting, so the sync asks the server only for
   * what the copy lacks. A document never opened here has no copy to wait for: it connects at
   * once, while IndexedDB opens (creating its store can take a few hundred milliseconds).
   */
  constructor(
    readonly docId: string,
    readonly key: string,
    identity: Identity,
    private readonly localCopyFirst = true,
  ) {
    this.identity = identity;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): SessionSnapshot => this.snapshot;

  /** The server renders nothing of a document: it lives in the browser. */
  readonly getServerSnapshot = (): SessionSnapshot => CLOSED;

  /** The name and colour others see; applied at once when connected. */
  setIdentity(identity: Identity): void {
    this.identity = identity;
    this.provider?.awareness.setLocalStateField('user', identity);
  }

  /** Opens the document (its local copy first, if this browser may have one, then the server); returns the teardown. */
  open(): () => void {
    const { docId, key } = this;
    let disposed = false;
    const ydoc = new Y.Doc();
    const local = new IndexeddbPersistence(`tandem:${docId}`, ydoc);
    const tracker = new SaveTracker(loadDurable(docId));
    let provider: WebsocketProvider | null = null;
    let session: CollabSession | null = null;
    let facts: ConnectionFacts = { browserOnline: navigator.onLine, socket: 'connecting', synced: false, everSynced: false, failures: 0 };
    const connected = () => facts.browserOnline && facts.socket === 'connected';
    const localWrites = deferLocalWrites(local, ydoc, connected);
    // The acknowledged state is remembered at most once a second too (acknowledgements arrive
    // with every keystroke); storeDurable() writes what waits at once.
    let durableTimer: ReturnType<typeof setTimeout> | undefined;
    const storeDurable = () => {
      if (durableTimer === undefined) return;
      clearTimeout(durableTimer);
      durableTimer = undefined;
      saveDurable(docId, tracker.durableStateVector());
    };
    /** Everything queued for this browser's storage, written now. */
    const flushLocal = () => {
      localWrites.flush();
      storeDurable();
    };
    let refusal: Refusal | null = null;
    let localLoaded = false;
    let showTimer: ReturnType<typeof setTimeout> | undefined;

    // Called on every local update and acknowledgement: readers re-render only when what they
    // show changed, so an unchanged status keeps its snapshot (and its identity).
    const publish = () => {
      if (disposed) return;
      const status: SessionStatus = { connection: connectionStatus(facts), save: tracker.state(), localLoaded, refusal };
      if (session === this.snapshot.session && sameStatus(status, this.snapshot.status)) return;
      this.emit({ session, status });
    };
    const setFacts = (change: Partial<ConnectionFacts>) => {
      facts = { ...facts, ...change };
      // Changes sent but not yet stored by the server may be lost with the connection.
      if (!connected()) localWrites.flush();
      publish();
    };

    // Everything not received from the server is this browser's to save (the offline copy included).
    // The count is published in a microtask, once per burst: from inside the Yjs transaction its
    // readers would run before the editor and the provider are done with the keystroke.
    let publishQueued = false;
    const onUpdate = (update: Uint8Array, origin: unknown) => {
      if (provider !== null && origin === provider) return;
      tracker.addLocalUpdate(update);
      if (publishQueued) return;
      publishQueued = true;
      queueMicrotask(() => {
        publishQueued = false;
        publish();
      });
    };
    ydoc.on('update', onUpdate);

    const onOnline = () => {
      setFacts({ browserOnline: true });
      if (refusal === null) provider?.connect();
    };
    // Do not trust a socket to notice a lost network quickly; drop it and show "offline" at once.
    const onOffline = () => {
      setFacts({ browserOnline: false });
      provider?.disconnect();
      show();
    };
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);

    const rescued = takeRescue(docId);
    if (rescued) {
      try {
        Y.applyUpdate(ydoc, rescued, 'rescue');
      } catch {
        // A damaged copy is dropped below; IndexedDB still holds the rest.
      }
    }
    const onPageHide = () => {
      flushLocal();
      if (tracker.state().pending > 0) saveRescue(docId, Y.encodeStateAsUpdate(ydoc));
    };
    // A hidden page may be discarded without a pagehide.
    const onVisibilityChange = () => {
      if (document.visibilityState === 'hidden') flushLocal();
    };
    window.addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibilityChange);

    const start = () => {
      if (disposed || provider !== null) return;
      localLoaded = true;
      const p = new OwnPresenceProvider(websocketBase(), docId, ydoc, {
        params: { key, [SAVED_ACK_PARAM]: '1' },
        connect: navigator.onLine,
      });
      provider = p;
      this.provider = p;
      p.awareness.setLocalStateField('user', this.identity);
      // Until the document shows, only the provider, the save tracker (both ignore what the server
      // sends) and the offline copy listen for updates: the sync is applied without encoding them.
      const sync = p.messageHandlers[MessageType.Sync]!;
      p.messageHandlers[MessageType.Sync] = (...args) => {
        if (session !== null) return sync(...args);
        if (applyQuietly(ydoc, () => sync(...args))) localWrites.storeWhole();
      };
      p.messageHandlers[MessageType.Saved] = (_encoder, decoder) => {
        tracker.acknowledge(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
        durableTimer ??= setTimeout(storeDurable, ONLINE_WRITE_INTERVAL_MS);
        publish();
      };
      p.on('status', ({ status: socket }) => {
        if (socket === 'connected') {
          // When we dropped, the server removed our presence at its last clock; peers ignore a
          // state at that same clock, so bump it once and our caret reappears at once.
          p.awareness.setLocalStateField('user', { ...this.identity });
        }
        setFacts({ socket, synced: socket === 'connected' ? facts.synced : false });
      });
      p.on('sync', (synced: boolean) => {
        setFacts(synced ? { synced, everSynced: true, failures: 0 } : { synced });
        if (synced) show();
      });
      p.on('connection-close', () => setFacts({ failures: facts.failures + 1 }));
      p.on('closed', ({ code, reason }) => {
        refusal = refusalFromClose(code, reason);
        publish();
      });
      publish();
      // Bind the editor only to synced content (or the local copy when the server is out of
      // reach): an editor bound to an empty document writes its own first paragraph, which
      // would then sit next to the real one.
      if (!navigator.onLine) show();
      else showTimer = setTimeout(show, FIRST_SYNC_TIMEOUT_MS);
    };
    function show() {
      if (disposed || session !== null || provider === null) return;
      clearTimeout(showTimer);
      session = { ydoc, provider };
      publish();
    }
    const timer = setTimeout(start, LOCAL_LOAD_TIMEOUT_MS);
    // Should a copy turn up after all, it is merged and sent like any offline change.
    if (!this.localCopyFirst) start();
    local.whenSynced.then(() => {
      // The rescued changes are in IndexedDB's queue now, with everything else.
      if (rescued) clearRescue(docId);
      start();
    }, start);

    return () => {
      disposed = true;
      clearTimeout(timer);
      clearTimeout(showTimer);
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('pagehide', onPageHide);
      document.removeEventListener('visibilitychange', onVisibilityChange);
      ydoc.off('update', onUpdate);
      provider?.destroy();
      if (this.provider === provider) this.provider = null;
      localWrites.stop();
      storeDurable();
      void local.destroy();
      ydoc.destroy();
      this.emit(CLOSED);
    };
  }

  /**
   * Resolves true once every local change is durably saved (at once if none waits), false after
   * `timeoutMs`.
   */
  readonly whenSaved = (timeoutMs: number): Promise<boolean> => {
    const saved = () => this.snapshot.status.save.pending === 0;
    if (saved()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(result);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      const unsubscribe = this.subscribe(() => {
        if (saved()) done(true);
      });
    });
  };

  private emit(snapshot: SessionSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of this.listeners) listener();
  }
}
