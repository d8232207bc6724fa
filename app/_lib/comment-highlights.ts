/**
 * Highlights of commented passages, for everyone: a ProseMirror decoration plugin whose ranges
 * the app computes from the threads' anchors (see comment-positions) and hands over in a
 * transaction meta. Between two hand-overs the decorations follow local typing by mapping.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';

export interface Highlight {
  readonly id: string;
  readonly from: number;
  readonly to: number;
  readonly color: string | null;
}

interface HighlightsMeta {
  readonly highlights: readonly Highlight[];
  readonly activeId: string | null;
}

const highlightsKey = new PluginKey<DecorationSet>('tandemCommentHighlights');

function decorations(state: EditorState | Transaction, meta: HighlightsMeta): DecorationSet {
  const size = state.doc.content.size;
  const decos = meta.highlights
    .filter((h) => h.from < h.to && h.to <= size)
    .map((h) =>
      Decoration.inline(
        h.from,
        h.to,
        {
          class: h.id === meta.activeId ? 'comment-mark comment-mark-active' : 'comment-mark',
          'data-thread-id': h.id,
          style: h.color && /^#[0-9a-f]{6}$/i.test(h.color) ? `--comment-color: ${h.color}` : '',
        },
        { threadId: h.id },
      ),
    );
  return DecorationSet.create(state.doc, decos);
}

/** A transaction that shows these highlights (and marks one thread as the active one). */
export function setHighlights(tr: Transaction, highlights: readonly Highlight[], activeId: string | null): Transaction {
  return tr.setMeta(highlightsKey, { highlights, activeId } satisfies HighlightsMeta).setMeta('addToHistory', false);
}

/** The extension; `onActivate` is called with a thread's id when its highlight is clicked. */
export function commentHighlights(onActivate: (threadId: string) => void) {
  return Extension.create({
    name: 'tandemCommentHighlights',
    addProseMirrorPlugins: () => [
      new Plugin<DecorationSet>({
        key: highlightsKey,
        state: {
          init: () => DecorationSet.empty,
          apply(tr, set) {
            const meta = tr.getMeta(highlightsKey) as HighlightsMeta | undefined;
            return meta ? decorations(tr, meta) : set.map(tr.mapping, tr.doc);
          },
        },
        props: {
          decorations: (state) => highlightsKey.getState(state),
          handleClick(view, pos) {
            const found = highlightsKey.getState(view.state)?.find(pos, pos) ?? [];
            // The shortest passage under the click is the most specific one.
            const hit = found.sort((a, b) => a.to - a.from - (b.to - b.from))[0];
            const threadId = (hit?.spec as { threadId?: string } | undefined)?.threadId;
            if (threadId) onActivate(threadId);
            return false;
          },
        },
      }),
    ],
  });
}
