/**
 * Markdown in and out, with TipTap's own Markdown support driven by the content schema's
 * extensions, so every node the editor has (task lists included) has one Markdown form.
 */
import type { JSONContent } from '@tiptap/core';
import { MarkdownManager } from '@tiptap/markdown';
import type { Node as PMNode } from '@tiptap/pm/model';
import { contentExtensions } from './content-schema';
import { repairedDocument } from './content-node';
import { ImageAsLink, TableAsSource } from './markdown-fallbacks';

let manager: MarkdownManager | null = null;

function markdown(): MarkdownManager {
  manager ??= new MarkdownManager({ extensions: [...contentExtensions(), ImageAsLink, TableAsSource], indentation: { style: 'space', size: 2 } });
  return manager;
}

/** The document as Markdown (CommonMark with GitHub's task lists and strikethrough). */
export function toMarkdown(doc: PMNode | JSONContent): string {
  const json = 'toJSON' in doc && typeof doc.toJSON === 'function' ? (doc.toJSON() as JSONContent) : (doc as JSONContent);
  const text = markdown().serialize(json);
  return text.endsWith('\n') || text === '' ? text : `${text}\n`;
}

/**
 * Parses Markdown into a document of the schema. Raw HTML inside it is kept as text; images
 * become links and tables a code block of their source (the editor has neither).
 */
export function fromMarkdown(text: string): PMNode {
  return repairedDocument(markdown().parse(text));
}
