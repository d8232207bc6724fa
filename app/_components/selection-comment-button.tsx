'use client';

import type { Editor } from '@tiptap/core';
import { useEffect, useState } from 'react';
import { anchorsForSelection } from '../_lib/comment-positions';
import type { CommentDraft } from './comments-panel';
import { CommentIcon } from './icons';

/** A "Comment" button beside a text selection, for people who may comment. */
export function SelectionCommentButton({ editor, onStart }: { editor: Editor; onStart: (draft: CommentDraft) => void }) {
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);

  useEffect(() => {
    let shown = false;
    const update = () => {
      const { view, state } = editor;
      // Most transactions are typing, here or by someone else, with nothing selected: then there
      // is nothing to place and, unless a button is up, nothing to hide either.
      if (state.selection.empty && !shown) return;
      const paper = view.dom.closest('.paper');
      shown = !state.selection.empty && paper !== null;
      if (!shown || !paper) return setPlace(null);
      const end = view.coordsAtPos(state.selection.to);
      const box = paper.getBoundingClientRect();
      setPlace({ top: end.bottom - box.top + 6, left: Math.min(end.left - box.left, box.width - 120) });
    };
    editor.on('selectionUpdate', update);
    editor.on('update', update);
    return () => {
      editor.off('selectionUpdate', update);
      editor.off('update', update);
    };
  }, [editor]);

  if (!place) return null;
  const start = () => {
    const draft = anchorsForSelection(editor.state);
    if (draft) onStart(draft);
    // The passage is in the draft now; a selection left behind would bring the button back.
    editor.commands.setTextSelection(editor.state.selection.to);
    if (!editor.isEditable) window.getSelection()?.removeAllRanges();
    setPlace(null);
  };
  return (
    <button
      type="button"
      className="button selection-comment"
      style={{ top: place.top, left: place.left }}
      // Keep the selection: the button must not take focus from the text on press.
      onMouseDown={(event) => event.preventDefault()}
      onClick={start}
    >
      <CommentIcon /> Comment
    </button>
  );
}
