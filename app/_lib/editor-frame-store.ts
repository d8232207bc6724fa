/**
 * Flags read from the editor (what the toolbar shows as active), as an external store for
 * `useSyncExternalStore`, read at most once per animation frame instead of on every transaction.
 *
 * Every transaction (each keystroke here, each one applied from another person there) would
 * otherwise read them synchronously, inside the keystroke's task: in a reader's browser, between
 * the remote change and its rendering. Read before the frame is painted, they still show on the
 * same frame as the change (a store's change re-renders React synchronously).
 */
import type { Editor } from '@tiptap/core';

export type Flags = Readonly<Record<string, boolean>>;

export interface EditorFrameStore<T extends Flags> {
  readonly subscribe: (listener: () => void) => () => void;
  readonly getSnapshot: () => T;
}

function sameFlags(a: Flags, b: Flags): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/** A store of `read(editor)`; its snapshot keeps its identity while the flags stay the same. */
export function editorFrameStore<T extends Flags>(editor: Editor, read: (editor: Editor) => T): EditorFrameStore<T> {
  let snapshot = read(editor);
  const listeners = new Set<() => void>();
  let frame = 0;
  const check = () => {
    frame = 0;
    const next = read(editor);
    if (sameFlags(next, snapshot)) return;
    snapshot = next;
    for (const listener of [...listeners]) listener();
  };
  const schedule = () => {
    if (frame === 0) frame = requestAnimationFrame(check);
  };
  return {
    subscribe(listener) {
      if (listeners.size === 0) editor.on('transaction', schedule);
      listeners.add(listener);
      // A transaction between the snapshot and this subscription would go unseen.
      schedule();
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0) return;
        editor.off('transaction', schedule);
        if (frame !== 0) cancelAnimationFrame(frame);
        frame = 0;
      };
    },
    getSnapshot: () => snapshot,
  };
}
