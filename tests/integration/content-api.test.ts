/**
 * The content API through a real server: reading in every format, creating with content,
 * appending and replacing while stock y-websocket clients type (docs/PROTOCOL.md, rules K1–K4).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import * as prng from 'lib0/prng';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../server/config';
import { CONTENT_FIELD } from '../../lib/protocol';
import { fromMarkdown, toMarkdown } from '../../lib/content-markdown';
import { readDocumentContent } from '../../server/content/render';
import { createWithContent, markdownOf, readContent, writeContent } from '../helpers/content-api';
import { paragraphText, paragraphs, writeParagraphs } from '../helpers/paragraphs';
import { seededRandom } from '../helpers/seed';
import { createDoc, createLink, serverForFile, type Client } from '../helpers/tandem';
import { waitFor, waitForAsync } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const everyNode = fs.readFileSync(new URL('../fixtures/content/every-node.md', import.meta.url), 'utf8');
/** The end state of a recorded editing trace: a real blog post, written in Markdown. */
const sephBlog = (JSON.parse(zlib.gunzipSync(fs.readFileSync(new URL('../fixtures/traces/seph-blog1.json.gz', import.meta.url))).toString()) as { endContent: string }).endContent;

async function created(body: unknown): Promise<{ id: string; ownerKey: string }> {
  const res = await createWithContent(file.server.url, body);
  expect(res.status, res.text).toBe(201);
  return JSON.parse(res.text) as { id: string; ownerKey: string };
}

/** How many documents storage holds (read from the SQLite file, as an operator would). */
function storedDocuments(): number {
  const db = new Database(path.join(file.server.dataDir, 'tandem.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM docs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** How many updates storage holds for a document. */
function storedUpdates(docId: string): number {
  const db = new Database(path.join(file.server.dataDir, 'tandem.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM updates WHERE doc_id = ?').get(docId) as { n: number }).n;
  } finally {
    db.close();
  }
}

const markdownOfClient = (client: Client) => toMarkdown(readDocumentContent(client.doc).doc);

/** One turn of the event loop: lets frames in flight arrive between keystrokes (no timer). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('reading content (rule K3)', () => {
  it('serves every format with its Content-Type; json is {title, doc}', async () => {
    const { id, ownerKey } = await created({ format: 'markdown', content: everyNode, title: 'Every node' });
    const view = await createLink(file.server.url, id, ownerKey, { role: 'view' });
    const expected = fromMarkdown(everyNode);
    const md = await readContent(file.server.url, id, view.key, 'markdown');
    expect(md).toMatchObject({ status: 200, contentType: 'text/markdown; charset=utf-8' });
    expect(fromMarkdown(md.text).eq(expected)).toBe(true);
    const html = await readContent(file.server.url, id, view.key, 'html');
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(html.text).toContain('<title>Every node</title>');
    expect(html.text).toContain('<ul data-type="taskList">');
    const text = await readContent(file.server.url, id, view.key, 'text');
    expect(text.contentType).toBe('text/plain; charset=utf-8');
    expect(text.text).toContain('[x] ');
    const json = await readContent(file.server.url, id, view.key, 'json');
    expect(json.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(json.text)).toEqual({ title: 'Every node', doc: expected.toJSON() });
  });

  it('needs a key of the document; an unknown format is 400', async () => {
    const { id, ownerKey } = await createDoc(file.server.url);
    expect((await readContent(file.server.url, id, 'x'.repeat(32), 'markdown')).status).toBe(401);
    const unknown = await readContent(file.server.url, id, ownerKey, 'docx');
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.text).error).toMatch(/unknown format "docx"/);
  });

  it('shows what a stock client typed, once committed', async () => {
    const { id, ownerKey } = await createDoc(file.server.url);
    const typist = file.open(id, ownerKey);
    await waitFor(() => typist.provider.synced, 'typist synced');
    writeParagraphs(typist.doc, ['typed live']);
    await waitForAsync(async () => (await markdownOf(file.server.url, id, ownerKey)) === 'typed live\n', 'the typing is served');
  });
});

describe('round trips on real content, through the server', () => {
  for (const [name, source] of [
    ['a file with every node type', () => everyNode],
    ['the end state of the seph-blog1 trace', () => sephBlog],
  ] as const) {
    it(`${name}: Markdown in, Markdown out, stable; the same through JSON and HTML; a replace with itself changes nothing`, async () => {
      const { id, ownerKey } = await created({ format: 'markdown', content: source() });
      const once = await markdownOf(file.server.url, id, ownerKey);
      expect(once).toBe(toMarkdown(fromMarkdown(source())));
      // Markdown out, in again: the same Markdown (the document has settled).
      const again = await created({ format: 'markdown', content: once });
      const twice = await markdownOf(file.server.url, again.id, again.ownerKey);
      expect(toMarkdown(fromMarkdown(twice))).toBe(twice);
      // JSON out, JSON in: the identical document.
      const json = JSON.parse((await readContent(file.server.url, id, ownerKey, 'json')).text) as { doc: unknown };
      const fromJson = await created({ format: 'json', content: json });
      expect(await markdownOf(file.server.url, fromJson.id, fromJson.ownerKey)).toBe(once);
      // HTML out, HTML in: the same document, but for runs of spaces in paragraphs, which HTML collapses as a browser shows them.
      const html = (await readContent(file.server.url, id, ownerKey, 'html')).text;
      const fromHtml = await created({ format: 'html', content: html });
      const collapsed = (md: string) => md.replace(/\s+/g, ' ');
      const viaHtml = await markdownOf(file.server.url, fromHtml.id, fromHtml.ownerKey);
      expect(collapsed(viaHtml)).toBe(collapsed(once));
      expect(viaHtml.split('\n\n').length).toBe(once.split('\n\n').length);
      // Replacing a document with its own content is no change at all (K2: minimal edits).
      const before = storedUpdates(id);
      expect((await writeContent(file.server.url, id, ownerKey, { format: 'json', content: json, mode: 'replace' })).status).toBe(200);
      expect(storedUpdates(id)).toBe(before);
      expect(await markdownOf(file.server.url, id, ownerKey)).toBe(once);
    });
  }
});

describe('creating a document with content', () => {
  it('an empty body still makes an empty document', async () => {
    const { id, ownerKey } = await createDoc(file.server.url);
    expect(await markdownOf(file.server.url, id, ownerKey)).toBe('');
  });

  it('takes every format, and the title', async () => {
    for (const [format, content, markdown] of [
      ['markdown', '# Hi\n\n- a\n', '# Hi\n\n- a\n'],
      ['html', '<h2>Hi</h2><p><strong>b</strong></p>', '## Hi\n\n**b**\n'],
      ['text', 'one\n\ntwo\n', 'one\n\ntwo\n'],
      ['json', { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'j' }] }] }, 'j\n'],
    ] as const) {
      const { id, ownerKey } = await created({ format, content, title: `  A ${format}\nfile ` });
      expect(await markdownOf(file.server.url, id, ownerKey)).toBe(markdown);
      expect(JSON.parse((await readContent(file.server.url, id, ownerKey, 'json')).text).title).toBe(`A ${format} file`);
    }
  });

  it('malformed imports get a clear 400 and make no document (rule K4)', async () => {
    const before = storedDocuments();
    const cases: Array<[unknown, RegExp]> = [
      ['{not json', /not valid JSON/],
      [{ format: 'docx', content: 'x' }, /format must be one of markdown, html, text, json/],
      [{ format: 'markdown' }, /content/],
      [{ format: 'json', content: { type: 'doc', content: [{ type: 'image' }] } }, /content does not parse as json: .*image/],
      [{ format: 'json', content: '{nope' }, /content does not parse as json: "content" is not valid JSON/],
      [{ format: 'markdown', content: { type: 'doc' } }, /must be a string/],
      [{ format: 'markdown', content: 'x', title: 't'.repeat(201) }, /title/],
      [{ format: 'markdown', content: 'x', extra: 1 }, /extra/],
    ];
    for (const [body, reason] of cases) {
      const res = await createWithContent(file.server.url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.parse(res.text).error).toMatch(reason);
    }
    expect(storedDocuments()).toBe(before);
  });

  it(`a body over MAX_CONTENT_BYTES (${DEFAULT_MAX_CONTENT_BYTES} by default) gets 413 and makes nothing`, async () => {
    const before = storedDocuments();
    const res = await createWithContent(file.server.url, { format: 'text', content: 'a'.repeat(DEFAULT_MAX_CONTENT_BYTES) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error).toMatch(/request body over 2097152 bytes/);
    expect(storedDocuments()).toBe(before);
    // Just under the limit is fine.
    const fits = await created({ format: 'text', content: 'a'.repeat(DEFAULT_MAX_CONTENT_BYTES - 100) });
    expect((await markdownOf(file.server.url, fits.id, fits.ownerKey)).length).toBeGreaterThan(DEFAULT_MAX_CONTENT_BYTES - 200);
  });
});

describe('writing content (rules K1, K2, K4)', () => {
  it('appends and replaces with an edit key, live in an open client', async () => {
    const { id, ownerKey } = await created({ format: 'markdown', content: '# Notes\n' });
    const edit = await createLink(file.server.url, id, ownerKey, { role: 'edit' });
    const reader = file.open(id, ownerKey);
    await waitFor(() => reader.provider.synced, 'reader synced');
    expect(await writeContent(file.server.url, id, edit.key, { format: 'markdown', content: '- [ ] milk\n', mode: 'append' })).toMatchObject({ status: 200, text: '{"ok":true}' });
    await waitFor(() => markdownOfClient(reader) === '# Notes\n\n- [ ] milk\n', 'the append reaches the open client');
    expect(await writeContent(file.server.url, id, ownerKey, { format: 'html', content: '<h1>Notes</h1><p>done</p>', mode: 'replace' })).toMatchObject({ status: 200 });
    expect(await markdownOf(file.server.url, id, edit.key)).toBe('# Notes\n\ndone\n');
    await waitFor(() => markdownOfClient(reader) === '# Notes\n\ndone\n', 'the replace reaches the open client');
  });

  it('a view or comment key cannot write; bad writes get 400 or 413; none changes anything', async () => {
    const { id, ownerKey } = await created({ format: 'markdown', content: 'original\n' });
    const view = await createLink(file.server.url, id, ownerKey, { role: 'view' });
    const comment = await createLink(file.server.url, id, ownerKey, { role: 'comment' });
    const write = { format: 'markdown', content: 'vandal\n', mode: 'replace' };
    for (const key of [view.key, comment.key]) {
      const res = await writeContent(file.server.url, id, key, write);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text).error).toMatch(/edit or owner key/);
    }
    expect((await writeContent(file.server.url, id, 'y'.repeat(32), write)).status).toBe(401);
    const bad: Array<[unknown, number, RegExp]> = [
      [{ format: 'rtf', content: 'x', mode: 'append' }, 400, /format must be one of/],
      [{ format: 'markdown', content: 'x', mode: 'merge' }, 400, /mode must be append or replace/],
      [{ format: 'json', content: { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x', marks: [{ type: 'link', attrs: { href: 'javascript:alert(1)' } }] }] }] }, mode: 'replace' }, 400, /javascript/],
      ['[1,2', 400, /not valid JSON/],
      [{ format: 'text', content: 'b'.repeat(DEFAULT_MAX_CONTENT_BYTES), mode: 'append' }, 413, /request body over/],
    ];
    for (const [body, status, reason] of bad) {
      const res = await writeContent(file.server.url, id, ownerKey, body);
      expect(res.status).toBe(status);
      expect(JSON.parse(res.text).error).toMatch(reason);
    }
    expect(await markdownOf(file.server.url, id, ownerKey)).toBe('original\n');
  });

  it('an append while two stock clients type keeps every character they typed, and all converge (rule K2)', async () => {
    const { gen } = seededRandom('append while typing');
    const { id, ownerKey } = await createDoc(file.server.url);
    const edit = await createLink(file.server.url, id, ownerKey, { role: 'edit' });
    const alice = file.open(id, ownerKey);
    const bob = file.open(id, edit.key);
    await waitFor(() => alice.provider.synced && bob.provider.synced, 'both synced');
    writeParagraphs(alice.doc, ['alice:']);
    writeParagraphs(bob.doc, ['bob:']);
    await waitFor(() => paragraphs(alice.doc).length === 2 && paragraphs(bob.doc).length === 2, 'both paragraphs everywhere');
    const aliceIndex = paragraphs(alice.doc).indexOf('alice:');
    const bobIndex = paragraphs(bob.doc).indexOf('bob:');
    const typed = { alice: 'alice:', bob: 'bob:' };
    const type = (who: 'alice' | 'bob', client: Client, index: number) => {
      const ch = prng.letter(gen);
      const text = paragraphText(client.doc, index);
      text.insert(text.length, ch);
      typed[who] += ch;
    };
    // Both type before, during and after the append is in flight.
    let appended = false;
    const append = writeContent(file.server.url, id, edit.key, { format: 'markdown', content: '## Appended\n\n> quoted\n', mode: 'append' }).then((res) => {
      expect(res.status).toBe(200);
      appended = true;
    });
    let keystrokes = 0;
    while (!appended || keystrokes < 400) {
      type('alice', alice, aliceIndex);
      type('bob', bob, bobIndex);
      keystrokes++;
      if (prng.bool(gen)) await turn();
      if (keystrokes > 20_000) throw new Error('the append never answered');
    }
    await append;
    const expectedBlocks = [typed.alice, typed.bob].sort();
    const settled = (client: Client) => {
      const ps = paragraphs(client.doc);
      return ps.includes(typed.alice) && ps.includes(typed.bob) && ps.length === 4;
    };
    await waitFor(() => settled(alice) && settled(bob), 'everyone has every keystroke and the append', 10_000);
    expect(markdownOfClient(alice)).toBe(markdownOfClient(bob));
    const md = markdownOfClient(alice);
    expect(md.split('\n\n').slice(0, 2).sort()).toEqual(expectedBlocks);
    expect(md.endsWith('## Appended\n\n> quoted\n')).toBe(true);
    // The server converged too: what it serves equals the clients.
    expect(await markdownOf(file.server.url, id, ownerKey)).toBe(md);
  });

  it('a replace while two stock clients type keeps everything typed once it has landed, and all converge (rule K2)', async () => {
    const { gen } = seededRandom('replace while typing');
    const { id, ownerKey } = await created({ format: 'markdown', content: '# Draft\n\nfirst\n\nsecond\n' });
    const alice = file.open(id, ownerKey);
    const bob = file.open(id, ownerKey);
    await waitFor(() => alice.provider.synced && bob.provider.synced && paragraphs(alice.doc).length === 3 && paragraphs(bob.doc).length === 3, 'both synced');
    // Each types only its own letter, which the replacement does not contain, so they can be counted.
    const count = (client: Client, ch: string) => (paragraphs(client.doc).join('\n').match(new RegExp(ch, 'g')) ?? []).length;
    const typedAfter = { x: 0, z: 0 };
    let typedTotal = 0;
    let landedAt: { alice: boolean; bob: boolean } = { alice: false, bob: false };
    const landed = (client: Client) => paragraphs(client.doc)[0]?.replace(/[xz]/g, '') === 'Final';
    const type = (client: Client, ch: 'x' | 'z', who: 'alice' | 'bob') => {
      const blocks = client.doc.getXmlFragment(CONTENT_FIELD).toArray().filter((b): b is Y.XmlElement => b instanceof Y.XmlElement);
      const block = blocks[prng.uint32(gen, 0, blocks.length - 1)]!;
      let text = block.get(0);
      if (!(text instanceof Y.XmlText)) {
        text = new Y.XmlText();
        block.insert(0, [text]);
      }
      const xml = text as Y.XmlText;
      // The state before this keystroke decides whether the replace had landed here.
      if (landed(client)) landedAt = { ...landedAt, [who]: true };
      const after = landedAt[who];
      xml.insert(prng.uint32(gen, 0, xml.length), ch);
      if (after) typedAfter[ch]++;
      typedTotal++;
    };
    let answered = false;
    const replace = writeContent(file.server.url, id, ownerKey, { format: 'markdown', content: '# Final\n\nkept\n\nnew ending\n', mode: 'replace' }).then((res) => {
      expect(res.status).toBe(200);
      answered = true;
    });
    let rounds = 0;
    while (!(answered && landed(alice) && landed(bob)) || typedAfter.x < 200 || typedAfter.z < 200) {
      type(alice, 'x', 'alice');
      type(bob, 'z', 'bob');
      rounds++;
      if (prng.bool(gen)) await turn();
      if (rounds > 50_000) throw new Error('the replace never landed');
    }
    await replace;
    await waitFor(() => JSON.stringify(alice.doc.getXmlFragment(CONTENT_FIELD).toJSON()) === JSON.stringify(bob.doc.getXmlFragment(CONTENT_FIELD).toJSON()), 'both converge', 10_000);
    expect(count(alice, 'x')).toBeGreaterThanOrEqual(typedAfter.x);
    expect(count(alice, 'z')).toBeGreaterThanOrEqual(typedAfter.z);
    expect(count(alice, 'x') + count(alice, 'z')).toBeLessThanOrEqual(typedTotal);
    // With the typing taken out, the document is the replacement.
    const withoutTyping = markdownOfClient(alice).replace(/[xz]/g, '');
    expect(withoutTyping).toBe('# Final\n\nkept\n\nnew ending\n');
    const served = await markdownOf(file.server.url, id, ownerKey);
    expect(served).toBe(markdownOfClient(alice));
  });
});
