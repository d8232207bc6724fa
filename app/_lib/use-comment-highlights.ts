/** Keeps the editor's comment highlights in step with the threads (open ones with a passage only). */
import type { Editor } from '@tiptap/core';
import { useEffect } from 'react';
import type { PlacedThread } from '../../lib/comments/comment-doc';
import type { TextIndex } from '../../lib/comments/text-anchors';
import { setHighlights, type Highlight } from './comment-highlights';
import { editorRange } from './comment-positions';

export function useCommentHighlights(editor: Editor | null, threads: readonly PlacedThread[], index: TextIndex | null, activeId: string | null): void {
  useEffect(() => {
    if (!editor || editor.isDestroyed) return;
    const highlights: Highlight[] = [];
    if (index) {
      for (const thread of threads) {
        if (thread.resolved || !thread.range) continue;
        const range = editorRange(editor.state, index, thread.range);
        if (range) highlights.push({ id: thread.id, ...range, color: thread.author.color });
      }
    }
    editor.view.dispatch(setHighlights(editor.state.tr, highlights, activeId));
  }, [editor, threads, index, activeId]);

  // A thread made active from the margin brings its passage into view.
  useEffect(() => {
    if (!editor || editor.isDestroyed || !activeId) return;
    editor.view.dom.querySelector(`[data-thread-id="${CSS.escape(activeId)}"]`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [editor, activeId]);
}
