/**
 * Versions as rich text in the browser: rendered with the one document schema (the same HTML
 * the editor shows), and compared with lib/version-diff. The renderer loads on first use, so
 * the editor's page does not pay for it until someone opens the history.
 */
import type { JSONContent } from '@tiptap/core';
import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import type * as Y from 'yjs';
import { contentExtensions, contentSchema } from '../../lib/content-schema';
import { CONTENT_FIELD } from '../../lib/protocol';
import { diffDocuments, type PMJson } from '../../lib/version-diff';

type Render = (doc: PMJson) => string;

let renderer: Promise<Render> | null = null;

function loadRenderer(): Promise<Render> {
  renderer ??= import('@tiptap/html').then(({ generateHTML }) => {
    const extensions = contentExtensions({ openLinksOnClick: true });
    return (doc: PMJson) => generateHTML(doc as JSONContent, extensions);
  });
  return renderer;
}

/** The live document (this browser's replica) as ProseMirror JSON. */
export function liveDocument(ydoc: Y.Doc): PMJson {
  return yXmlFragmentToProseMirrorRootNode(ydoc.getXmlFragment(CONTENT_FIELD), contentSchema).toJSON() as PMJson;
}

/** A version's HTML, as the editor would show it. */
export async function renderDocument(doc: PMJson): Promise<string> {
  return (await loadRenderer())(doc);
}

/** `after` with what changed since `before` marked (insertions `<ins>`, deletions `<del>`). */
export async function renderComparison(before: PMJson, after: PMJson): Promise<string> {
  const render = await loadRenderer();
  return diffDocuments(before, after, (block) => render({ type: 'doc', content: [block] }));
}
