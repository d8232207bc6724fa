/**
 * Markdown the editor has no node for, kept rather than dropped: an image becomes a link to it
 * (its alt text linked to its address), a table keeps its source in a code block.
 */
import { Extension, type JSONContent, type MarkdownToken } from '@tiptap/core';

export const ImageAsLink = Extension.create({
  name: 'markdownImageAsLink',
  markdownTokenName: 'image',
  parseMarkdown(token: MarkdownToken): JSONContent {
    const href = typeof token.href === 'string' ? token.href : '';
    const text = (typeof token.text === 'string' && token.text) || href || 'image';
    return { type: 'text', text, marks: href ? [{ type: 'link', attrs: { href } }] : [] };
  },
});

export const TableAsSource = Extension.create({
  name: 'markdownTableAsSource',
  markdownTokenName: 'table',
  parseMarkdown(token: MarkdownToken): JSONContent {
    const source = (token.raw ?? '').replace(/\s+$/, '');
    return { type: 'codeBlock', attrs: { language: 'markdown' }, content: source ? [{ type: 'text', text: source }] : [] };
  },
});
