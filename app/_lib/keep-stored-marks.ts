/**
 * Keeps a pending bold, italic or code toggle through other people's edits. Pressing Ctrl+B with
 * nothing selected stores the mark for the next character typed; ProseMirror drops stored marks
 * on every transaction that changes the document or sets the selection, and the Yjs binding
 * delivers each remote change as such a transaction (replacing the content, then restoring the
 * caret at its relative position). So while someone else types, a toggle would vanish before
 * the next key press. A remote change does not move this person's caret, so the marks they
 * stored are put back. Undo and redo also arrive through the binding; after those, as after any
 * local step, the marks stay dropped (docs/PROTOCOL.md, rule E1).
 */
import { Extension } from '@tiptap/core';
import { isChangeOrigin } from '@tiptap/extension-collaboration';
import { Plugin, PluginKey, type Transaction } from '@tiptap/pm/state';
import { ySyncPluginKey } from '@tiptap/y-tiptap';

interface SyncMeta {
  readonly isUndoRedoOperation?: boolean;
}

/** A transaction the Yjs binding made from someone else's change (not this person's undo or redo). */
export function isRemoteChange(tr: Transaction): boolean {
  if (!isChangeOrigin(tr)) return false;
  const meta = tr.getMeta(ySyncPluginKey) as SyncMeta | undefined;
  return meta?.isUndoRedoOperation !== true;
}

export const KeepStoredMarks = Extension.create({
  name: 'tandemKeepStoredMarks',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('tandemKeepStoredMarks'),
        appendTransaction(transactions, oldState, newState) {
          const stored = oldState.storedMarks;
          if (stored === null || newState.storedMarks !== null) return null;
          if (!oldState.selection.empty || !newState.selection.empty) return null;
          if (!transactions.every(isRemoteChange)) return null;
          // Marked like the change it follows, so the binding does not read it as a local edit.
          return newState.tr.setStoredMarks(stored).setMeta(ySyncPluginKey, transactions.at(-1)!.getMeta(ySyncPluginKey));
        },
      }),
    ];
  },
});
