/**
 * Between the editor's positions and comment anchors. Anchors and passages are computed in Yjs
 * terms (lib/comments), the same on every replica and on the server; this only translates them
 * to and from ProseMirror positions through the binding the Collaboration extension keeps.
 */
import type { EditorState } from '@tiptap/pm/state';
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from '@tiptap/y-tiptap';
import * as Y from 'yjs';
import { anchorsForRange, indexText, offsetAt, resolveAnchors, textPositionAt, type EncodedAnchors, type TextIndex } from '../../lib/comments/text-anchors';

interface Binding {
  readonly doc: Y.Doc;
  readonly type: Y.XmlFragment;
  readonly mapping: Parameters<typeof relativePositionToAbsolutePosition>[3];
}

function bindingOf(state: EditorState): Binding | null {
  const binding = (ySyncPluginKey.getState(state) as { binding?: Binding } | undefined)?.binding;
  return binding && binding.doc && binding.type && binding.mapping ? binding : null;
}

/** Anchors for the editor's selection and the text they cover; null for an empty selection or one with no text. */
export function anchorsForSelection(state: EditorState): { anchors: EncodedAnchors; quote: string } | null {
  const binding = bindingOf(state);
  const { from, to, empty } = state.selection;
  if (!binding || empty) return null;
  const index = indexText(binding.type);
  const offset = (pos: number) => {
    const absolute = Y.createAbsolutePositionFromRelativePosition(absolutePositionToRelativePosition(pos, binding.type, binding.mapping), binding.doc);
    return absolute ? offsetAt(index, absolute.type as Y.AbstractType<unknown>, absolute.index) : null;
  };
  const start = offset(from);
  const end = offset(to);
  if (start === null || end === null) return null;
  const anchors = anchorsForRange(index, start, end);
  if (!anchors) return null;
  const range = resolveAnchors(binding.doc, binding.type, index, anchors);
  return range.kind === 'attached' ? { anchors, quote: range.text } : null;
}

/** The editor positions of a passage given as offsets in `index` (see placeThreads); null if it cannot be shown. */
export function editorRange(state: EditorState, index: TextIndex, range: { from: number; to: number }): { from: number; to: number } | null {
  const binding = bindingOf(state);
  if (!binding) return null;
  const start = textPositionAt(index, range.from, 'start');
  const end = textPositionAt(index, range.to, 'end');
  if (!start || !end) return null;
  const toEditor = (type: Y.XmlText, at: number) =>
    relativePositionToAbsolutePosition(binding.doc, binding.type, Y.createRelativePositionFromTypeIndex(type, at), binding.mapping);
  const from = toEditor(start.type, start.index);
  const to = toEditor(end.type, end.index);
  if (from === null || to === null || from >= to || to > state.doc.content.size) return null;
  return { from, to };
}
