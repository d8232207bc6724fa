/**
 * Writing parsed content into a live Y.Doc as ordinary Yjs changes. Both edits are computed
 * against the document as it is, so they touch as little as they can: an append only inserts
 * after the last block, a replace keeps every block (and every run of text) that it leaves the
 * same, which is where concurrent typing survives.
 */
import type { Node as PMNode } from '@tiptap/pm/model';
import { initProseMirrorDoc, updateYFragment } from '@tiptap/y-tiptap';
import type * as Y from 'yjs';
import { contentSchema } from '../../lib/content-schema';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';

/** Adds `addition`'s blocks after the document's last block; nothing before it changes. */
export function appendContent(ydoc: Y.Doc, addition: PMNode): void {
  const fragment = ydoc.getXmlFragment(CONTENT_FIELD);
  // The mapping ties every existing block to the Y type it came from, so updateYFragment sees
  // them as unchanged and only inserts the new ones.
  const { doc: current, meta } = initProseMirrorDoc(fragment, contentSchema);
  updateYFragment(ydoc, fragment, current.copy(current.content.append(addition.content)), meta);
}

/** Makes the document equal `replacement` by the smallest edit updateYFragment finds. */
export function replaceContent(ydoc: Y.Doc, replacement: PMNode): void {
  const fragment = ydoc.getXmlFragment(CONTENT_FIELD);
  const { meta } = initProseMirrorDoc(fragment, contentSchema);
  updateYFragment(ydoc, fragment, replacement, meta);
}

/** Sets the title of a document nobody has titled yet (a new document). */
export function setInitialTitle(ydoc: Y.Doc, title: string): void {
  const text = ydoc.getText(TITLE_FIELD);
  if (text.length === 0 && title !== '') text.insert(0, title);
}
