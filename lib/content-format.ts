/** The formats a document's content is read and written in, over HTTP, the CLI and the app. */
export const CONTENT_FORMATS = ['markdown', 'html', 'text', 'json'] as const;
export type ContentFormat = (typeof CONTENT_FORMATS)[number];

export function isContentFormat(value: unknown): value is ContentFormat {
  return typeof value === 'string' && (CONTENT_FORMATS as readonly string[]).includes(value);
}

/** The longest title a document may have (the title field stops there; the API refuses longer). */
export const MAX_TITLE_CHARS = 200;

/** The Content-Type each format is served with. */
export const CONTENT_TYPES: Readonly<Record<ContentFormat, string>> = {
  markdown: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** The file name extension an exported file of each format gets. */
export const FILE_EXTENSIONS: Readonly<Record<ContentFormat, string>> = {
  markdown: 'md',
  html: 'html',
  text: 'txt',
  json: 'json',
};

/** The format a file name suggests (`notes.md` is Markdown), or null. */
export function formatOfFileName(name: string): ContentFormat | null {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  switch (extension) {
    case 'md':
    case 'markdown':
    case 'mdown':
    case 'mkd':
      return 'markdown';
    case 'html':
    case 'htm':
      return 'html';
    case 'txt':
    case 'text':
      return 'text';
    case 'json':
      return 'json';
    default:
      return null;
  }
}
