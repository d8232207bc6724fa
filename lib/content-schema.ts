/**
 * The one definition of what a document may contain: the TipTap extensions that give the editor
 * its schema. The app's editor and the server's renderers and parsers both build from this list,
 * so a document the editor writes always renders and every document the server writes is one the
 * editor can show. Kept free of Node and DOM APIs so both sides import it.
 */
import { getSchema, type AnyExtension } from '@tiptap/core';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import StarterKit from '@tiptap/starter-kit';

/** Heading levels the toolbar offers; deeper Markdown headings become level 3. */
export const HEADING_LEVELS = [1, 2, 3] as const;

export interface ContentExtensionOptions {
  /** Readers follow links with a click; writers click to place the caret. */
  readonly openLinksOnClick?: boolean;
}

/** The schema-defining extensions, configured as the editor uses them. */
export function contentExtensions(options: ContentExtensionOptions = {}): AnyExtension[] {
  return [
    StarterKit.configure({
      // Collaboration brings its own (per-person) undo; StarterKit's would undo everyone.
      undoRedo: false,
      // Every client would append its own trailing paragraph at once, leaving empty lines behind.
      trailingNode: false,
      heading: { levels: [...HEADING_LEVELS] },
      link: { openOnClick: options.openLinksOnClick ?? false, autolink: true, defaultProtocol: 'https' },
    }),
    TaskList,
    TaskItem.configure({ nested: true }),
  ];
}

/** The ProseMirror schema of every document. */
export const contentSchema = getSchema(contentExtensions());
