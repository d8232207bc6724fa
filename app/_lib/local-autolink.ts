/**
 * Autolinking for this person's typing only. TipTap's autolink scans every changed range with
 * linkify after each document change, the Yjs binding's included: on opening a document that
 * is the whole text (about 100 ms for 100,000 characters, before the editor shows), and on
 * every remote change a scan of what the writer's own editor has linked already. Changes from
 * the binding (not this person's undo or redo) are marked so autolink passes them by.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { isRemoteChange } from './keep-stored-marks';

export const LocalAutolink = Extension.create({
  name: 'tandemLocalAutolink',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('tandemLocalAutolink'),
        // Runs before any plugin's appendTransaction sees the transaction; it is never refused.
        filterTransaction(tr) {
          if (isRemoteChange(tr)) tr.setMeta('preventAutolink', true);
          return true;
        },
      }),
    ];
  },
});
