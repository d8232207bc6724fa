import * as prng from 'lib0/prng';
import * as Y from 'yjs';

/** The editor's content (TipTap Collaboration's field) and the other roots the app uses. */
export const CONTENT = 'default';
export const META = 'meta';
export const TITLE = 'title';

function paragraphText(paragraph: Y.XmlElement): Y.XmlText {
  const first = paragraph.get(0);
  if (first instanceof Y.XmlText) return first;
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  return text;
}

function newParagraph(gen: prng.PRNG, words: number): Y.XmlElement {
  const paragraph = new Y.XmlElement('paragraph');
  const text = new Y.XmlText();
  const parts: string[] = [];
  for (let i = 0; i < words; i++) parts.push(prng.word(gen, 1, 9));
  text.insert(0, parts.join(' '));
  paragraph.insert(0, [text]);
  return paragraph;
}

/**
 * One seeded edit of the kinds people make in the editor: typing and deleting inside
 * paragraphs, new and removed paragraphs, formatting, a pasted block, the title, a map entry.
 * Returns what it did, for the trace.
 */
export function randomEdit(doc: Y.Doc, gen: prng.PRNG): string {
  const content = doc.getXmlFragment(CONTENT);
  const roll = prng.int32(gen, 0, 99);
  let what = '';
  doc.transact(() => {
    const paragraphs = content.length;
    if (paragraphs === 0 || roll < 15) {
      content.insert(prng.int32(gen, 0, paragraphs), [newParagraph(gen, prng.int32(gen, 1, 6))]);
      what = 'paragraph';
    } else if (roll < 20) {
      // A pasted block: grows the log towards compaction.
      content.insert(prng.int32(gen, 0, paragraphs), [newParagraph(gen, prng.int32(gen, 40, 200))]);
      what = 'paste';
    } else if (roll < 25 && paragraphs > 1) {
      content.delete(prng.int32(gen, 0, paragraphs - 1), 1);
      what = 'remove paragraph';
    } else if (roll < 80) {
      const paragraph = content.get(prng.int32(gen, 0, paragraphs - 1));
      if (!(paragraph instanceof Y.XmlElement)) return;
      const text = paragraphText(paragraph);
      const length = text.length;
      if (roll < 60 || length === 0) {
        text.insert(prng.int32(gen, 0, length), prng.word(gen, 1, 6));
        what = 'type';
      } else if (roll < 72) {
        const at = prng.int32(gen, 0, length - 1);
        text.delete(at, prng.int32(gen, 1, Math.min(8, length - at)));
        what = 'delete';
      } else {
        const at = prng.int32(gen, 0, length - 1);
        text.format(at, prng.int32(gen, 1, length - at), { bold: prng.bool(gen) ? true : null });
        what = 'format';
      }
    } else if (roll < 90) {
      const title = doc.getText(TITLE);
      if (title.length > 20 && prng.bool(gen)) title.delete(0, prng.int32(gen, 1, 5));
      else title.insert(prng.int32(gen, 0, title.length), prng.word(gen, 1, 4));
      what = 'title';
    } else {
      const meta = doc.getMap(META);
      const key = `k${prng.int32(gen, 0, 4)}`;
      if (meta.has(key) && prng.bool(gen)) meta.delete(key);
      else meta.set(key, prng.int32(gen, 0, 1000));
      what = 'meta';
    }
  });
  return what;
}

/** Everything a replica shows, for comparing replicas (rule I1). */
export function visibleContent(doc: Y.Doc): string {
  // A Y.Map lists its keys in the order this replica happened to learn them: sort them.
  const meta = Object.entries(doc.getMap(META).toJSON()).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([doc.getXmlFragment(CONTENT).toJSON(), doc.getText(TITLE).toJSON(), meta]);
}
