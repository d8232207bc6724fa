/**
 * Pasting Markdown keeps its structure: plain text that looks like Markdown (a heading, a list,
 * a quote, a fence, emphasis, a link) is parsed with the content schema's Markdown reader and
 * pasted as the blocks it describes. Rich HTML on the clipboard is left to the editor, which
 * already keeps its structure; so is anything pasted inside a code block.
 *
 * The Markdown reader (marked and TipTap's Markdown support) is loaded once the editor is up, not
 * with the page: evaluating it delayed opening a document.
 */
import { Extension } from '@tiptap/core';
import { Slice } from '@tiptap/pm/model';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import type { EditorView } from '@tiptap/pm/view';

type Markdown = typeof import('./content-markdown');
/** Long enough for the document's first render and paint to go first. */
const PRELOAD_DELAY_MS = 1000;
let markdown: Promise<Markdown> | null = null;
let loaded: Markdown | null = null;

function loadMarkdown(): Promise<Markdown> {
  markdown ??= import('./content-markdown').then(
    (module) => (loaded = module),
    (err: unknown) => {
      // Asked again on the next paste (the network may be back).
      markdown = null;
      throw err;
    },
  );
  return markdown;
}

/** Replaces the selection with the Markdown's blocks; false if it does not parse. */
function pasteMarkdown(view: EditorView, { fromMarkdown }: Markdown, text: string): boolean {
  let doc;
  try {
    doc = view.state.schema.nodeFromJSON(fromMarkdown(text).toJSON());
  } catch {
    return false;
  }
  // Open as deep as it goes, so one pasted paragraph joins the paragraph it lands in.
  view.dispatch(view.state.tr.replaceSelection(Slice.maxOpen(doc.content)).scrollIntoView());
  return true;
}

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
        view() {
          const timer = setTimeout(() => void loadMarkdown().catch(() => undefined), PRELOAD_DELAY_MS);
          return { destroy: () => clearTimeout(timer) };
        },
        props: {
          handlePaste(view, event) {
            const text = event.clipboardData?.getData('text/plain') ?? '';
            const html = event.clipboardData?.getData('text/html') ?? '';
            if (!text || view.state.selection.$from.parent.type.spec.code) return false;
            if ((html && isStructuredHtml(html)) || !looksLikeMarkdown(text)) return false;
            if (loaded) return pasteMarkdown(view, loaded, text);
            // A paste in the first moments, before the reader has arrived: pasted once it has,
            // as plain text should it fail to load or parse.
            const fallback = () => void (view.isDestroyed || view.pasteText(text));
            void loadMarkdown().then((module) => void (view.isDestroyed || pasteMarkdown(view, module, text) || fallback()), fallback);
            return true;
          },
        },
      }),
    ];
  },
});
