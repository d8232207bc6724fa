/**
 * The offline copy's writes, moved off the keystroke. y-indexeddb stores every update in its own
 * IndexedDB transaction from inside the Yjs transaction, and its listener was registered before
 * the provider's, so each keystroke opened an IndexedDB transaction before its update went to
 * the server. Here the updates queue and are stored, merged into one, in a task of their own
 * right after (a macrotask: the provider has sent them by then). Nothing is dropped: `flush()`
 * stores the queue at once, for a page being hidden or a session closing.
 */
import type { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';

export interface DeferredLocalWrites {
  /** Stores what is queued now, synchronously (the IndexedDB transaction commits on its own). */
  flush(): void;
  /** Flushes and stops listening (before y-indexeddb is destroyed). */
  stop(): void;
}

export function deferLocalWrites(local: IndexeddbPersistence, ydoc: Y.Doc): DeferredLocalWrites {
  const store = local._storeUpdate;
  let queued: Uint8Array[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (queued.length === 0) return;
    const update = queued.length === 1 ? queued[0]! : Y.mergeUpdates(queued);
    queued = [];
    store(update, null);
  };
  const onUpdate = (update: Uint8Array, origin: unknown) => {
    // What y-indexeddb itself loaded is stored already.
    if (origin === local) return;
    queued.push(update);
    timer ??= setTimeout(flush, 0);
  };

  ydoc.off('update', store);
  ydoc.on('update', onUpdate);
  return {
    flush,
    stop() {
      flush();
      ydoc.off('update', onUpdate);
    },
  };
}
