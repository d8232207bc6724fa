/**
 * Pasting Markdown keeps its structure: plain text that looks like Markdown (a heading, a list,
 * a quote, a fence, emphasis, a link) is parsed with the content schema's Markdown reader and
 * pasted as the blocks it describes. Rich HTML on the clipboard is left to the editor, which
 * already keeps its structure; so is anything pasted inside a code block.
 */
import { Extension } from '@tiptap/core';
import { Slice } from '@tiptap/pm/model';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { fromMarkdown } from './content-markdown';

const MARKDOWN_SIGNS: readonly RegExp[] = [
  /^#{1,6}\s+\S/m, // heading
  /^\s{0,3}[-*+]\s+\S/m, // bullet or task item
  /^\s{0,3}\d{1,9}[.)]\s+\S/m, // numbered item
  /^\s{0,3}>\s?\S/m, // quote
  /^\s{0,3}(```|~~~)/m, // fence
  /^\s{0,3}([-*_])(\s*\1){2,}\s*$/m, // divider
  /\*\*[^*\n]+\*\*|__[^_\n]+__/, // strong
  /~~[^~\n]+~~/, // strike
  /\[[^\]\n]+\]\([^)\s]+\)/, // link
  /`[^`\n]+`/, // inline code
];

/** Whether plain text reads as Markdown rather than prose. */
export function looksLikeMarkdown(text: string): boolean {
  return MARKDOWN_SIGNS.some((sign) => sign.test(text));
}

/** HTML that carries structure of its own (a web page, a word processor), as opposed to a code editor's coloured spans. */
export function isStructuredHtml(html: string): boolean {
  return /<(h[1-6]|ul|ol|li|blockquote|pre|strong|b|em|i|a|table|hr)[\s>]/i.test(html);
}

export const MarkdownPaste = Extension.create({
  name: 'tandemMarkdownPaste',
  addProseMirrorPlugins() {
    return [
      new Plugin({
        key: new PluginKey('tandemMarkdownPaste'),
        props: {
          handlePaste(view, event) {
            const text = event.clipboardData?.getData('text/plain') ?? '';
            const html = event.clipboardData?.getData('text/html') ?? '';
            if (!text || view.state.selection.$from.parent.type.spec.code) return false;
            if ((html && isStructuredHtml(html)) || !looksLikeMarkdown(text)) return false;
            let doc;
            try {
              doc = view.state.schema.nodeFromJSON(fromMarkdown(text).toJSON());
            } catch {
              return false;
            }
            // Open as deep as it goes, so one pasted paragraph joins the paragraph it lands in.
            view.dispatch(view.state.tr.replaceSelection(Slice.maxOpen(doc.content)).scrollIntoView());
            return true;
          },
        },
      }),
    ];
  },
});
