/**
 * Runs a change of a Y.Doc without its 'update' event. With any 'update' listener, Yjs encodes
 * every transaction's update for it; for the first sync of a big document that encoding is a
 * third of applying it, on the way to showing the text, and every listener then drops it (the
 * provider and the save tracker ignore what the server sent) or stores it later (the offline copy,
 * which can store the whole document instead: see `storeWhole` in deferred-local-writes.ts).
 */
import type * as Y from 'yjs';

/** Whether a transaction inserted or deleted anything. */
function changedContent(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  for (const [client, clock] of transaction.afterState) if (transaction.beforeState.get(client) !== clock) return true;
  return false;
}

/** Runs `change` with the doc's 'update' listeners set aside; resolves whether the content changed. */
export function applyQuietly(ydoc: Y.Doc, change: () => void): boolean {
  let changed = false;
  const onTransaction = (transaction: Y.Transaction) => {
    changed ||= changedContent(transaction);
  };
  const listeners = ydoc._observers.get('update');
  ydoc._observers.delete('update');
  ydoc.on('afterTransaction', onTransaction);
  try {
    change();
  } finally {
    ydoc.off('afterTransaction', onTransaction);
    if (listeners) ydoc._observers.set('update', listeners);
  }
  return changed;
}
