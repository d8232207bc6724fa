/** Comment anchors (Yjs relative positions) and reading threads back, without a server. */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addThread, commentsMap, placeThreads, readThreads } from '../../lib/comments/comment-doc';
import { anchorsForQuote, indexText } from '../../lib/comments/text-anchors';
import { CONTENT_FIELD } from '../../lib/protocol';
import { paragraphText, writeParagraphs } from '../helpers/paragraphs';

const author = { name: 'Ann', color: null, authorId: null };

function docWith(lines: string[]): Y.Doc {
  const doc = new Y.Doc();
  writeParagraphs(doc, lines);
  return doc;
}

function comment(doc: Y.Doc, quote: string): string {
  const anchors = anchorsForQuote(doc.getXmlFragment(CONTENT_FIELD), quote);
  if (!anchors) throw new RangeError(`"${quote}" is not in the document`);
  return addThread(doc, { body: 'note', author, now: 1 }, { anchors, quote });
}

const placed = (doc: Y.Doc) => placeThreads(doc)[0]!;

describe('comment anchors', () => {
  it('reads the text with one line break after each block', () => {
    expect(indexText(docWith(['one', 'two', '']).getXmlFragment(CONTENT_FIELD)).text).toBe('one\ntwo\n');
  });

  it('anchors to the first occurrence, across paragraphs too, and finds nothing that is not there', () => {
    const doc = docWith(['a cat and a cat', 'sat on the mat']);
    comment(doc, 'cat');
    expect(placed(doc).range).toMatchObject({ from: 2, to: 5, text: 'cat' });
    const fragment = doc.getXmlFragment(CONTENT_FIELD);
    expect(anchorsForQuote(fragment, 'a cat\nsat')).not.toBeNull();
    expect(anchorsForQuote(fragment, 'a dog')).toBeNull();
    // White space compares loosely: the plain-text export puts a blank line between paragraphs.
    expect(anchorsForQuote(fragment, 'a cat\n\nsat')).not.toBeNull();
    expect(anchorsForQuote(fragment, '  and   a ')).not.toBeNull();
    expect(anchorsForQuote(fragment, '\n')).toBeNull();
  });

  it('does not grow when typing happens right before or after the passage, and grows inside it', () => {
    const doc = docWith(['The quick brown fox']);
    comment(doc, 'quick brown');
    const text = paragraphText(doc, 0);
    text.insert(4, 'very ');
    text.insert('The very quick brown'.length, ' old');
    expect(placed(doc).range?.text).toBe('quick brown');
    text.insert('The very quick'.length, ' little');
    expect(placed(doc).range?.text).toBe('quick little brown');
  });

  // Yjs may put text that replaces a deleted character before or after the deleted items
  // (search markers decide); both must stay inside the passage.
  for (const side of ['before', 'after'] as const) {
    it(`keeps a word that replaces the passage's first or last word inside it, landing ${side} the deleted one`, () => {
      const doc = docWith(['The quick brown fox']);
      comment(doc, 'quick brown');
      const text = paragraphText(doc, 0);
      const replace = (at: number, length: number, by: string) => {
        if (side === 'before') {
          text.insert(at, by);
          text.delete(at + by.length, length);
        } else {
          text.insert(at + length, by);
          text.delete(at, length);
        }
      };
      replace('The quick '.length, 'brown'.length, 'red');
      expect(placed(doc).range?.text).toBe('quick red');
      replace('The '.length, 'quick'.length, 'slow');
      expect(placed(doc).range?.text).toBe('slow red');
    });
  }

  it('follows the rest of the passage when its ends are deleted', () => {
    const doc = docWith(['The quick brown fox']);
    comment(doc, 'quick brown');
    paragraphText(doc, 0).delete(4, 2); // its first characters, "qu"
    paragraphText(doc, 0).delete('The ick brow'.length, 1); // its last character, "n"
    expect(placed(doc).range?.text).toBe('ick brow');
  });

  it('is detached once the whole passage is deleted, and keeps the text it was about', () => {
    const doc = docWith(['The quick brown fox']);
    comment(doc, 'quick brown');
    paragraphText(doc, 0).delete(4, 'quick brown'.length);
    expect(placed(doc)).toMatchObject({ detached: true, range: null, quote: 'quick brown' });
  });

  it('is detached when the paragraph that held the passage is deleted', () => {
    const doc = docWith(['keep this', 'The quick brown fox', 'and this']);
    comment(doc, 'quick');
    doc.getXmlFragment(CONTENT_FIELD).delete(1, 1);
    expect(placed(doc).detached).toBe(true);
  });

  it('keeps what is left when one of two paragraphs of the passage is deleted', () => {
    const doc = docWith(['first line', 'second line', 'third line']);
    comment(doc, 'line\nsecond');
    doc.getXmlFragment(CONTENT_FIELD).delete(0, 1);
    expect(placed(doc).range?.text).toBe('second');
  });

  it('skips whatever is not a well-formed thread in the comments map', () => {
    const doc = docWith(['text']);
    const map = commentsMap(doc);
    map.set('junk', 'a string');
    const noBody = new Y.Map<unknown>();
    map.set('nobody', noBody);
    noBody.set('createdAt', 1);
    const badReplies = new Y.Map<unknown>();
    map.set('bad-replies', badReplies);
    badReplies.set('body', 'ok');
    badReplies.set('createdAt', 2);
    badReplies.set('replies', new Y.Array());
    (badReplies.get('replies') as Y.Array<unknown>).push(['not a map', new Y.Map()]);
    badReplies.set('start', 'not bytes');
    expect(readThreads(doc).map((t) => [t.id, t.replies.length, t.anchors])).toEqual([['bad-replies', 0, null]]);
  });
});
