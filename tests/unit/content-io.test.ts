/** The small pieces around the content API: links, Markdown paste detection, titles, file names. */
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { firstHeading } from '../../app/_lib/use-first-heading';
import { fileNameFor } from '../../app/_lib/download';
import { fromMarkdown } from '../../lib/content-markdown';
import { contentSchema } from '../../lib/content-schema';
import { documentLink, parseDocumentLink } from '../../lib/doc-link';
import { isStructuredHtml, looksLikeMarkdown } from '../../lib/markdown-paste';
import { CONTENT_FIELD } from '../../lib/protocol';
import { exportTitle } from '../../server/content/render';

describe('document links', () => {
  it('round-trip, and say what is wrong with a bad one', () => {
    const link = documentLink('https://docs.example.com:8443', 'Ab_9-x', 'k3y-_Z');
    expect(link).toBe('https://docs.example.com:8443/d/Ab_9-x#key=k3y-_Z');
    expect(parseDocumentLink(link)).toEqual({ origin: 'https://docs.example.com:8443', docId: 'Ab_9-x', key: 'k3y-_Z' });
    expect(parseDocumentLink(' http://127.0.0.1:3000/d/abc/#key=k ')).toEqual({ origin: 'http://127.0.0.1:3000', docId: 'abc', key: 'k' });
    expect(() => parseDocumentLink('abc')).toThrow(/not a link/);
    expect(() => parseDocumentLink('ftp://h/d/abc#key=k')).toThrow(/not an http\(s\) link/);
    expect(() => parseDocumentLink('http://h/doc/abc#key=k')).toThrow(/no document id/);
    expect(() => parseDocumentLink('http://h/d/a%2Fb#key=k')).toThrow(/no document id/);
    expect(() => parseDocumentLink('http://h/d/abc')).toThrow(/no key/);
  });
});

describe('Markdown paste', () => {
  it('tells Markdown from prose', () => {
    for (const md of ['# Title', 'text\n\n- item', '1. first', '> quote', '```\ncode\n```', 'some **bold**', 'a [link](https://x.y)', '- [ ] task', '---', 'use `npm`'])
      expect(looksLikeMarkdown(md), md).toBe(true);
    for (const prose of ['just a sentence', '5 * 3 = 15', 'price: $5 - $10', 'C# is a language', 'email me at a@b.c']) expect(looksLikeMarkdown(prose), prose).toBe(false);
  });

  it('leaves structured HTML to the editor, but not a code editor’s coloured spans', () => {
    expect(isStructuredHtml('<h2>x</h2>')).toBe(true);
    expect(isStructuredHtml('<p>a <strong>b</strong></p>')).toBe(true);
    expect(isStructuredHtml('<div><span style="color:red"># Title</span></div>')).toBe(false);
  });
});

describe('titles', () => {
  it('the first heading, as the title field suggests it and exports use it', () => {
    const doc = fromMarkdown('intro\n\n## The **real** title\n\n# later\n');
    const ydoc = new Y.Doc();
    prosemirrorJSONToYXmlFragment(contentSchema, doc.toJSON(), ydoc.getXmlFragment(CONTENT_FIELD));
    expect(firstHeading(ydoc.getXmlFragment(CONTENT_FIELD))).toBe('The real title');
    expect(exportTitle({ title: '', doc })).toBe('The real title');
    expect(exportTitle({ title: ' Mine ', doc })).toBe('Mine');
    expect(exportTitle({ title: '', doc: fromMarkdown('no heading\n') })).toBe('Untitled');
  });

  it('file names keep letters and digits of any script, never empty', () => {
    expect(fileNameFor('Plans: Q3/Q4 <draft>', 'md')).toBe('Plans Q3 Q4 draft.md');
    expect(fileNameFor('Étude – 東京', 'txt')).toBe('Étude 東京.txt');
    expect(fileNameFor('  ', 'html')).toBe('Untitled.html');
  });
});
