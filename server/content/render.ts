/**
 * Reading a document's content out of its Y.Doc and rendering it in each export format, with the
 * same schema the editor binds (the XmlFragment `default`, the title Y.Text `title`).
 */
import type { JSONContent } from '@tiptap/core';
import { generateHTML } from '@tiptap/html/server';
import type { Node as PMNode } from '@tiptap/pm/model';
import { yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import type * as Y from 'yjs';
import { CONTENT_TYPES, type ContentFormat } from '../../lib/content-format';
import { toMarkdown } from '../../lib/content-markdown';
import { contentExtensions, contentSchema } from '../../lib/content-schema';
import { toPlainText } from '../../lib/content-text';
import { htmlPage } from '../../lib/html-page';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';

const extensions = contentExtensions();

/** A document's title and content as ProseMirror nodes. */
export interface DocumentContent {
  readonly title: string;
  readonly doc: PMNode;
}

/** Reads the title and the editor's content from a Y.Doc. */
export function readDocumentContent(ydoc: Y.Doc): DocumentContent {
  return {
    title: ydoc.getText(TITLE_FIELD).toString(),
    doc: yXmlFragmentToProseMirrorRootNode(ydoc.getXmlFragment(CONTENT_FIELD), contentSchema),
  };
}

/** The document's body as the editor's HTML (what the editor shows, without its chrome). */
export function toHtml(doc: PMNode): string {
  return generateHTML(doc.toJSON() as JSONContent, extensions);
}

/** The page title of an export: the document's title, else its first heading, else "Untitled". */
export function exportTitle(content: DocumentContent): string {
  if (content.title.trim()) return content.title.trim();
  let heading = '';
  content.doc.forEach((block) => {
    if (!heading && block.type.name === 'heading') heading = block.textContent.trim();
  });
  return heading || 'Untitled';
}

/** A rendering ready to serve: its Content-Type and body. */
export interface Rendered {
  readonly contentType: string;
  readonly body: string;
}

/** Renders content in one format; `json` is `{"title", "doc"}`, `html` a complete page. */
export function renderContent(content: DocumentContent, format: ContentFormat): Rendered {
  const contentType = CONTENT_TYPES[format];
  switch (format) {
    case 'markdown':
      return { contentType, body: toMarkdown(content.doc) };
    case 'html':
      return { contentType, body: htmlPage(exportTitle(content), toHtml(content.doc)) };
    case 'text':
      return { contentType, body: toPlainText(content.doc) };
    case 'json':
      return { contentType, body: JSON.stringify({ title: content.title, doc: content.doc.toJSON() }) };
  }
}
