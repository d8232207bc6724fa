import * as Y from 'yjs';
import { CONTENT_FIELD } from '../../lib/protocol';

/** Appends one paragraph per line to the editor content, as TipTap would store them. */
export function writeParagraphs(doc: Y.Doc, lines: readonly string[]): void {
  doc.transact(() => {
    const fragment = doc.getXmlFragment(CONTENT_FIELD);
    for (const line of lines) {
      const paragraph = new Y.XmlElement('paragraph');
      fragment.push([paragraph]);
      paragraph.push([new Y.XmlText(line)]);
    }
  });
}

/** The Y.XmlText of paragraph `index` (made empty when it has none). */
export function paragraphText(doc: Y.Doc, index: number): Y.XmlText {
  const paragraph = doc.getXmlFragment(CONTENT_FIELD).get(index);
  if (!(paragraph instanceof Y.XmlElement)) throw new RangeError(`no paragraph ${index}`);
  const text = paragraph.get(0);
  if (text instanceof Y.XmlText) return text;
  throw new RangeError(`paragraph ${index} has no text`);
}

/** The paragraphs' texts, one string each. */
export function paragraphs(doc: Y.Doc): string[] {
  return doc
    .getXmlFragment(CONTENT_FIELD)
    .toArray()
    .map((p) => (p instanceof Y.XmlElement ? p.toArray().map((t) => (t instanceof Y.XmlText ? t.toString() : '')).join('') : ''));
}
