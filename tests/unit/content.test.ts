/**
 * The content core: one schema, rendered to and parsed from Markdown, HTML, text and ProseMirror
 * JSON, read from and written to a Y.Doc the way the editor binds it.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { Node as PMNode } from '@tiptap/pm/model';
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { fromMarkdown, toMarkdown } from '../../lib/content-markdown';
import { InvalidContentError, strictDocument } from '../../lib/content-node';
import { contentSchema } from '../../lib/content-schema';
import { fromPlainText, toPlainText } from '../../lib/content-text';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';
import { appendContent, replaceContent } from '../../server/content/edit';
import { fromHtml, parseContent } from '../../server/content/parse';
import { readDocumentContent, renderContent, toHtml } from '../../server/content/render';

const everyNodeMarkdown = fs.readFileSync(new URL('../fixtures/content/every-node.md', import.meta.url), 'utf8');
const sephBlogMarkdown = (JSON.parse(zlib.gunzipSync(fs.readFileSync(new URL('../fixtures/traces/seph-blog1.json.gz', import.meta.url))).toString()) as { endContent: string })
  .endContent;

/** Every node type name and mark name that occurs in a document. */
function typesIn(doc: PMNode): Set<string> {
  const types = new Set<string>([doc.type.name]);
  doc.descendants((node) => {
    types.add(node.type.name);
    for (const mark of node.marks) types.add(mark.type.name);
  });
  return types;
}

function ydocHolding(doc: PMNode, title = ''): Y.Doc {
  const ydoc = new Y.Doc();
  prosemirrorJSONToYXmlFragment(contentSchema, doc.toJSON(), ydoc.getXmlFragment(CONTENT_FIELD));
  ydoc.getText(TITLE_FIELD).insert(0, title);
  return ydoc;
}

const collapseSpaces = (text: string) => text.replace(/\s+/g, ' ').trim();

describe('the fixture', () => {
  it('exercises every node and mark of the schema', () => {
    const doc = fromMarkdown(everyNodeMarkdown);
    const missing = [...Object.keys(contentSchema.nodes), ...Object.keys(contentSchema.marks)].filter((name) => !typesIn(doc).has(name));
    expect(missing).toEqual([]);
  });
});

describe('Markdown', () => {
  it('parses headings, lists, task lists, quotes, code blocks, links and marks', () => {
    const doc = fromMarkdown(everyNodeMarkdown).toJSON();
    const [h1, para] = doc.content;
    expect(h1).toEqual({ type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'A document with every kind of node' }] });
    const marked = (name: string) => para.content.find((n: { marks?: Array<{ type: string }> }) => n.marks?.some((m) => m.type === name));
    expect(marked('bold').text).toBe('bold');
    expect(marked('italic').text).toBe('italic');
    expect(marked('strike').text).toBe('struck');
    expect(marked('underline').text).toBe('underlined');
    expect(marked('code').text).toBe('inline code');
    expect(marked('link').marks[0].attrs).toMatchObject({ href: 'https://example.com/page?q=1', title: 'Example' });
    const tasks = doc.content.find((n: { type: string }) => n.type === 'taskList');
    expect(tasks.content.map((item: { attrs: { checked: boolean } }) => item.attrs.checked)).toEqual([false, true]);
    expect(tasks.content[1].content[1].type).toBe('taskList');
    const code = doc.content.find((n: { type: string }) => n.type === 'codeBlock');
    expect(code.attrs.language).toBe('ts');
    expect(code.content[0].text).toContain('  return a + b;');
  });

  it('is stable: Markdown -> document -> Markdown gives the same text, the same document', () => {
    const doc = fromMarkdown(everyNodeMarkdown);
    const once = toMarkdown(doc);
    // The one line that differs is escaping: special characters come back escaped, meaning the same.
    const differing = everyNodeMarkdown.split('\n').filter((line, i) => line !== once.split('\n')[i]);
    expect(differing).toEqual(['Special characters: 5 * 3 > 2 < 4 & so on, 100% _not_ a problem.']);
    expect(once).toContain('Special characters: 5 \\* 3 &gt; 2 &lt; 4 &amp; so on, 100% *not* a problem.');
    expect(fromMarkdown(once).eq(doc)).toBe(true);
    expect(toMarkdown(fromMarkdown(once))).toBe(once);
  });

  it('keeps real content: the end state of a recorded blog post keeps every word and settles', () => {
    const first = fromMarkdown(sephBlogMarkdown);
    const second = fromMarkdown(toMarkdown(first));
    // Bare addresses inside literal HTML become links on the second pass (GFM autolinks); from then on it is fixed.
    const third = fromMarkdown(toMarkdown(second));
    expect(third.eq(second)).toBe(true);
    expect(toMarkdown(third)).toBe(toMarkdown(second));
    const words = (text: string) => text.match(/[A-Za-z][A-Za-z']{3,}/g) ?? [];
    const exported = toPlainText(first);
    for (const word of new Set(words(sephBlogMarkdown.replace(/<[^>]*>|\]\([^)]*\)/g, ' ')))) expect(exported).toContain(word);
  });

  it('keeps images as links and tables as their source; deep headings become the deepest level', () => {
    const doc = fromMarkdown('![a chart](chart.svg)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n##### deep\n').toJSON();
    expect(doc.content[0].content[0]).toMatchObject({ text: 'a chart', marks: [{ type: 'link', attrs: { href: 'chart.svg' } }] });
    expect(doc.content[1]).toMatchObject({ type: 'codeBlock', content: [{ text: '| a | b |\n|---|---|\n| 1 | 2 |' }] });
    expect(doc.content[2]).toMatchObject({ type: 'heading', attrs: { level: 3 } });
  });

  it('drops links a reader must not follow, keeping their text', () => {
    const doc = fromMarkdown('[click](javascript:alert(1)) and [ok](https://example.com)').toJSON();
    expect(doc.content[0].content[0]).toEqual({ type: 'text', text: 'click and ' });
    expect(doc.content[0].content[1].marks[0].attrs.href).toBe('https://example.com');
  });

  it('reads a soft line break as a space, a hard one as a break', () => {
    const doc = fromMarkdown('one\ntwo  \nthree\n').toJSON();
    expect(doc.content[0].content).toEqual([{ type: 'text', text: 'one two' }, { type: 'hardBreak' }, { type: 'text', text: 'three' }]);
  });
});

describe('HTML', () => {
  it('round-trips every node and mark', () => {
    const doc = fromMarkdown(everyNodeMarkdown);
    expect(fromHtml(toHtml(doc)).eq(doc)).toBe(true);
  });

  it('renders what the editor renders', () => {
    const html = toHtml(fromMarkdown('## Title\n\n- [x] done\n\n> **quoted** [link](https://example.com)\n'));
    expect(html).toBe(
      '<h2>Title</h2><ul data-type="taskList"><li data-checked="true" data-type="taskItem"><label><input type="checkbox" checked="checked"><span></span></label><div><p>done</p></div></li></ul>' +
        '<blockquote><p><strong>quoted</strong> <a target="_blank" rel="noopener noreferrer nofollow" href="https://example.com">link</a></p></blockquote>',
    );
  });

  it('keeps the words of real content; whitespace runs collapse as HTML has them', () => {
    const doc = fromMarkdown(sephBlogMarkdown);
    expect(collapseSpaces(fromHtml(toHtml(doc)).textContent)).toBe(collapseSpaces(doc.textContent));
  });

  it('takes what the schema knows from foreign HTML and drops scripts and unsafe links', () => {
    const doc = fromHtml('<html><body><h4>Deep</h4><script>alert(1)</script><p>a <b>b</b> <a href="javascript:alert(1)">c</a> <img src=x onerror=alert(1)></p><table><tr><td>cell</td></tr></table></body></html>').toJSON();
    expect(JSON.stringify(doc)).not.toContain('javascript');
    expect(JSON.stringify(doc)).not.toContain('alert');
    // The editor has headings 1 to 3 only; a deeper one is read as a paragraph, as a paste would be.
    expect(doc.content[0]).toEqual({ type: 'paragraph', content: [{ type: 'text', text: 'Deep' }] });
    expect(doc.content[1].content).toEqual([{ type: 'text', text: 'a ' }, { type: 'text', text: 'b', marks: [{ type: 'bold' }] }, { type: 'text', text: ' c' }]);
    expect(collapseSpaces(fromHtml('<table><tr><td>cell</td></tr></table>').textContent)).toBe('cell');
  });
});

describe('plain text', () => {
  it('writes blocks as lines a reader expects', () => {
    const text = toPlainText(fromMarkdown('# T\n\n- a\n  - b\n\n1. x\n\n- [x] done\n\nLine  \nbreak\n'));
    expect(text).toBe('T\n\n- a\n  - b\n\n1. x\n\n[x] done\n\nLine\nbreak\n');
  });

  it('reads paragraphs separated by blank lines, keeping single line breaks', () => {
    const doc = fromPlainText('first\nline\r\n\r\n\n  \nsecond\n');
    expect(doc.toJSON().content).toEqual([
      { type: 'paragraph', content: [{ type: 'text', text: 'first' }, { type: 'hardBreak' }, { type: 'text', text: 'line' }] },
      { type: 'paragraph', content: [{ type: 'text', text: 'second' }] },
    ]);
    expect(toPlainText(doc)).toBe('first\nline\n\nsecond\n');
    expect(fromPlainText(toPlainText(doc)).eq(doc)).toBe(true);
  });
});

describe('ProseMirror JSON', () => {
  it('accepts a document of the schema as it is', () => {
    const doc = fromMarkdown(everyNodeMarkdown);
    expect(strictDocument(JSON.parse(JSON.stringify(doc.toJSON()))).eq(doc)).toBe(true);
  });

  it('refuses what does not fit, saying why', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /"type": "doc"/],
      [{ type: 'paragraph' }, /"type": "doc"/],
      [{ type: 'doc', content: [{ type: 'image' }] }, /image/],
      [{ type: 'doc', content: [{ type: 'text', text: 'bare' }] }, /Invalid content for node doc/],
      [{ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'comet' }] }] }] }, /comet/],
      [{ type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'link', attrs: { href: 'javascript:alert(1)' } }] }] }] }, /javascript/],
    ];
    for (const [json, reason] of cases) {
      expect(() => strictDocument(json)).toThrow(InvalidContentError);
      expect(() => strictDocument(json)).toThrow(reason);
    }
  });

  it('takes the {"title", "doc"} shape the API answers with, as an object or a string', () => {
    const doc = fromMarkdown('# hi\n');
    expect(parseContent('json', { title: 't', doc: doc.toJSON() }).eq(doc)).toBe(true);
    expect(parseContent('json', JSON.stringify(doc.toJSON())).eq(doc)).toBe(true);
    expect(() => parseContent('json', '{nope')).toThrow(/not valid JSON/);
    expect(() => parseContent('markdown', { type: 'doc' })).toThrow(/must be a string/);
  });
});

describe('a Y.Doc', () => {
  it('renders in every format from the fragment the editor binds, with its title', () => {
    const doc = fromMarkdown(everyNodeMarkdown);
    const content = readDocumentContent(ydocHolding(doc, 'My notes'));
    expect(content.doc.eq(doc)).toBe(true);
    expect(content.title).toBe('My notes');
    expect(renderContent(content, 'markdown').body).toBe(toMarkdown(doc));
    expect(renderContent(content, 'text').body).toBe(toPlainText(doc));
    const html = renderContent(content, 'html');
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<title>My notes</title>');
    expect(html.body).toContain(toHtml(doc));
    expect(JSON.parse(renderContent(content, 'json').body)).toEqual({ title: 'My notes', doc: doc.toJSON() });
  });

  it('appends after the last block, leaving the blocks before it as they were', () => {
    const ydoc = ydocHolding(fromMarkdown('# One\n\ntext\n'));
    const before = ydoc.getXmlFragment(CONTENT_FIELD).toArray();
    appendContent(ydoc, fromMarkdown('- more\n'));
    const after = ydoc.getXmlFragment(CONTENT_FIELD).toArray();
    expect(after.slice(0, 2)).toEqual(before);
    expect(toMarkdown(readDocumentContent(ydoc).doc)).toBe('# One\n\ntext\n\n- more\n');
  });

  it('replaces by a minimal edit: a concurrent edit in a block the replace keeps survives', () => {
    const server = ydocHolding(fromMarkdown('# Title\n\nkept paragraph\n\nold ending\n'));
    const typist = new Y.Doc();
    Y.applyUpdate(typist, Y.encodeStateAsUpdate(server));
    const kept = typist.getXmlFragment(CONTENT_FIELD).get(1) as Y.XmlElement;
    (kept.get(0) as Y.XmlText).insert(4, ' typed');
    replaceContent(server, fromMarkdown('# Title\n\nkept paragraph\n\nnew ending\n'));
    Y.applyUpdate(server, Y.encodeStateAsUpdate(typist));
    Y.applyUpdate(typist, Y.encodeStateAsUpdate(server));
    expect(toMarkdown(readDocumentContent(server).doc)).toBe('# Title\n\nkept typed paragraph\n\nnew ending\n');
    expect(toMarkdown(readDocumentContent(typist).doc)).toBe(toMarkdown(readDocumentContent(server).doc));
  });

  it('a replace with the same content changes nothing', () => {
    const ydoc = ydocHolding(fromMarkdown(everyNodeMarkdown));
    let updates = 0;
    ydoc.on('update', () => updates++);
    replaceContent(ydoc, fromMarkdown(everyNodeMarkdown));
    expect(updates).toBe(0);
  });
});
