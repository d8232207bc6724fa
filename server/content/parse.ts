/**
 * Parsing content that arrives in any format into a document of the editor's schema. Throws
 * InvalidContentError, with a reason fit for a 400, for content that does not parse.
 */
import { generateJSON } from '@tiptap/html/server';
import type { Node as PMNode } from '@tiptap/pm/model';
import type { ContentFormat } from '../../lib/content-format';
import { fromMarkdown } from '../../lib/content-markdown';
import { InvalidContentError, repairedDocument, strictDocument } from '../../lib/content-node';
import { contentExtensions } from '../../lib/content-schema';
import { fromPlainText } from '../../lib/content-text';

const extensions = contentExtensions();

/** Parses HTML (a fragment or a whole page) the way the editor parses pasted HTML. */
export function fromHtml(html: string): PMNode {
  return repairedDocument(generateJSON(html, extensions));
}

/**
 * `content` is a string for markdown, html and text; for json, ProseMirror JSON (an object, or a
 * string holding one), or the `{"title", "doc"}` shape the content API answers with.
 */
export function parseContent(format: ContentFormat, content: unknown): PMNode {
  if (format === 'json') return strictDocument(jsonDocument(content));
  if (typeof content !== 'string') throw new InvalidContentError(`"content" must be a string for format ${format}`);
  switch (format) {
    case 'markdown':
      return fromMarkdown(content);
    case 'html':
      return fromHtml(content);
    case 'text':
      return fromPlainText(content);
  }
}

function jsonDocument(content: unknown): unknown {
  let value = content;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new InvalidContentError('"content" is not valid JSON');
    }
  }
  if (typeof value === 'object' && value !== null && !('type' in value) && 'doc' in value) return value.doc;
  return value;
}
