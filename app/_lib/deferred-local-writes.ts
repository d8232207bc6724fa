/**
 * The offline copy's writes, moved off the keystroke. y-indexeddb stores every update in its own
 * IndexedDB transaction from inside the Yjs transaction, and its listener was registered before
 * the provider's, so each keystroke opened an IndexedDB transaction before its update went to
 * the server, and each remote update before its handler returned. Here updates queue and are
 * stored merged into one, in a task of their own. While connected the server has every change
 * (it was sent at once), so the queue is stored at most once every ONLINE_WRITE_INTERVAL_MS;
 * while not connected the copy is all there is, so it is stored right after the current task.
 * `flush()` stores the queue at once, for a page being hidden or a session closing.
 */
import type { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';

/** While connected, local copies (the offline copy, the acknowledged state) are written at most this often. */
export const ONLINE_WRITE_INTERVAL_MS = 1000;

export interface DeferredLocalWrites {
  /** Stores what is queued now, synchronously (the IndexedDB transaction commits on its own). */
  flush(): void;
  /** Queues the whole document, for a change applied without an update event (quiet-apply.ts). */
  storeWhole(): void;
  /** Flushes and stops listening (before y-indexeddb is destroyed). */
  stop(): void;
}

/** `connected()`: whether the server receives this browser's changes now. */
export function deferLocalWrites(local: IndexeddbPersistence, ydoc: Y.Doc, connected: () => boolean): DeferredLocalWrites {
  const store = local._storeUpdate;
  let queued: Uint8Array[] = [];
  /** The whole document is due: it holds everything queued, and is encoded when stored. */
  let whole = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due = Infinity;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    due = Infinity;
    if (whole) {
      whole = false;
      queued = [];
      store(Y.encodeStateAsUpdate(ydoc), null);
      return;
    }
    if (queued.length === 0) return;
    const update = queued.length === 1 ? queued[0]! : Y.mergeUpdates(queued);
    queued = [];
    store(update, null);
  };
  const schedule = () => {
    const at = performance.now() + (connected() ? ONLINE_WRITE_INTERVAL_MS : 0);
    if (at >= due) return;
    clearTimeout(timer);
    due = at;
    timer = setTimeout(flush, at - performance.now());
  };
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    // What y-indexeddb itself loaded is stored already.
    if (origin === local) return;
    if (!whole) queued.push(update);
    schedule();
  };

  ydoc.off('update', store);
  ydoc.on('update', onUpdate);
  return {
    flush,
    storeWhole() {
      whole = true;
      queued = [];
      schedule();
    },
    stop() {
      flush();
      ydoc.off('update', onUpdate);
    },
  };
}
