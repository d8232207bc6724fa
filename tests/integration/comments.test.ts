/**
 * Comments through a real server: stock y-websocket clients with comment, view and edit keys,
 * and the HTTP API (docs/PROTOCOL.md, rules C1–C4).
 */
import * as prng from 'lib0/prng';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addReply, addThread, placeThreads, readThreads, setResolved } from '../../lib/comments/comment-doc';
import { anchorsForQuote, indexText } from '../../lib/comments/text-anchors';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';
import { readDocumentContent, renderContent } from '../../server/content/render';
import { commentsCall, listComments, postComment, type ThreadJson } from '../helpers/comments-api';
import { paragraphText, paragraphs, writeParagraphs } from '../helpers/paragraphs';
import { seededRandom } from '../helpers/seed';
import { createDoc, createLink, serverForFile, type Client } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const file = serverForFile({ beforeAll, afterAll });
const open = file.open;

const author = { name: 'Rita Reviewer', color: '#1c7ed6', authorId: 'rita' };

/** A document with some text, written by its owner, and an open owner client. */
async function documentWithText(lines: string[]): Promise<{ id: string; ownerKey: string; owner: Client }> {
  const { id, ownerKey } = await createDoc(file.server.url);
  const owner = open(id, ownerKey);
  await waitFor(() => owner.provider.synced, 'owner synced');
  writeParagraphs(owner.doc, lines);
  return { id, ownerKey, owner };
}

function commentOn(client: Client, quote: string, body: string): string {
  const anchors = anchorsForQuote(client.doc.getXmlFragment(CONTENT_FIELD), quote);
  if (!anchors) throw new RangeError(`"${quote}" is not in the text`);
  return addThread(client.doc, { body, author, now: Date.now() }, { anchors, quote });
}

async function droppedOutsideComments(): Promise<number> {
  const metrics = await (await fetch(`${file.server.url}/metrics`)).text();
  return Number(/tandem_updates_dropped_total\{reason="outside-comments"\} (\d+)/.exec(metrics)?.[1] ?? 0);
}

const threadBodies = (client: Client) => readThreads(client.doc).map((t) => [t.body, t.resolved, t.replies.map((r) => r.body)]);

describe('a comment-only key (rule C1)', () => {
  it('adds, replies to and resolves comments through a stock client, and its text edits are dropped', async () => {
    const { id, ownerKey, owner } = await documentWithText(['The quick brown fox', 'jumps over the lazy dog']);
    const link = await createLink(file.server.url, id, ownerKey, { role: 'comment' });
    const commenter = open(id, link.key);
    await waitFor(() => commenter.provider.synced && paragraphs(commenter.doc).length === 2, 'commenter synced');
    const droppedBefore = await droppedOutsideComments();

    // Text, title and another root: all dropped. The comment in the same turn arrives.
    paragraphText(commenter.doc, 0).insert(0, 'EVIL ');
    paragraphText(commenter.doc, 1).delete(0, 5);
    commenter.doc.getText(TITLE_FIELD).insert(0, 'Hacked');
    commenter.doc.getMap('settings').set('owner', 'rita');
    const threadId = commentOn(commenter, 'brown fox', 'Which fox?');
    await waitFor(() => readThreads(owner.doc).length === 1, 'the owner sees the comment live');
    addReply(commenter.doc, threadId, { body: 'The red one', author, now: Date.now() });
    setResolved(commenter.doc, threadId, true);
    await waitFor(() => JSON.stringify(threadBodies(owner)) === JSON.stringify([['Which fox?', true, ['The red one']]]), 'reply and resolve arrive');

    expect(paragraphs(owner.doc)).toEqual(['The quick brown fox', 'jumps over the lazy dog']);
    expect(owner.doc.getText(TITLE_FIELD).toString()).toBe('');
    expect(owner.doc.getMap('settings').size).toBe(0);
    expect(placeThreads(owner.doc)[0]?.range?.text).toBe('brown fox');
    expect(await droppedOutsideComments()).toBeGreaterThan(droppedBefore);

    // Nothing of it was stored either: a fresh client loads the text as the owner wrote it.
    const fresh = open(id, ownerKey);
    await waitFor(() => fresh.provider.synced && readThreads(fresh.doc).length === 1, 'fresh client synced');
    expect(paragraphs(fresh.doc)).toEqual(['The quick brown fox', 'jumps over the lazy dog']);
    expect(fresh.doc.store.pendingStructs).toBeNull();
  });

  it('a view key cannot comment, over the socket or over HTTP', async () => {
    const { id, ownerKey, owner } = await documentWithText(['Some text to read']);
    const view = await createLink(file.server.url, id, ownerKey, { role: 'view' });
    const viewer = open(id, view.key);
    await waitFor(() => viewer.provider.synced && paragraphs(viewer.doc).length === 1, 'viewer synced');
    commentOn(viewer, 'text', 'I should not be here');
    // Presence is read after the comment on the same socket: once it arrives, the comment was handled.
    viewer.provider.awareness.setLocalStateField('user', { name: 'Viewer' });
    await waitFor(() => owner.provider.awareness.getStates().has(viewer.doc.clientID), 'viewer presence relayed');
    commentOn(owner, 'Some', 'The owner may');
    await waitFor(() => readThreads(viewer.doc).some((t) => t.body === 'The owner may'), 'the viewer sees comments live');
    expect(readThreads(owner.doc).map((t) => t.body)).toEqual(['The owner may']);

    const post = await commentsCall(file.server.url, id, view.key, { method: 'POST', body: { body: 'hi' } });
    expect(post.status).toBe(403);
    const threadId = readThreads(owner.doc)[0]!.id;
    const patch = await commentsCall(file.server.url, id, view.key, { method: 'PATCH', commentId: threadId, body: { resolved: true } });
    expect(patch.status).toBe(403);
    expect((await listComments(file.server.url, id, view.key)).map((t) => t.body)).toEqual(['The owner may']);
  });
});

describe('the comments HTTP API (rule C2)', () => {
  it('adds threads and replies, resolves them, and lists them in the documented shape, live in open editors', async () => {
    const { id, ownerKey, owner } = await documentWithText(['Paris is the capital of France.', 'Its river is the Seine.']);
    const comment = await createLink(file.server.url, id, ownerKey, { role: 'comment' });
    const edit = await createLink(file.server.url, id, ownerKey, { role: 'edit' });
    expect(await listComments(file.server.url, id, ownerKey)).toEqual([]);

    const thread = await postComment(file.server.url, id, comment.key, { body: 'Source?', author: 'Rita', quote: 'capital of France' });
    expect(Object.keys(thread).sort()).toEqual(['author', 'body', 'createdAt', 'detached', 'id', 'quote', 'replies', 'resolved']);
    expect(thread).toMatchObject({ body: 'Source?', author: 'Rita', quote: 'capital of France', resolved: false, detached: false, replies: [] });
    expect(Date.parse(thread.createdAt)).not.toBeNaN();
    // Committed before the answer, and relayed: the open editor has it with its highlight.
    await waitFor(() => placeThreads(owner.doc).some((t) => t.id === thread.id && t.range?.text === 'capital of France'), 'the thread appears live');

    const reply = (await postComment(file.server.url, id, edit.key, { body: 'Any atlas.', parentId: thread.id })) as unknown as Record<string, unknown>;
    expect(Object.keys(reply).sort()).toEqual(['author', 'body', 'createdAt', 'id', 'parentId']);
    expect(reply).toMatchObject({ body: 'Any atlas.', author: 'Anonymous', parentId: thread.id });
    // A passage copied from the plain-text export (a blank line between paragraphs) is found too.
    const exported = renderContent(readDocumentContent(owner.doc), 'text').body;
    const across = exported.slice(exported.indexOf('France.'), exported.indexOf('river'));
    expect(across).toBe('France.\n\nIts ');
    const spanning = await postComment(file.server.url, id, ownerKey, { body: 'Two sentences', quote: across });
    await waitFor(() => placeThreads(owner.doc).find((t) => t.id === spanning.id)?.range?.text === 'France.\nIts', 'the spanning thread arrives');
    const general = await postComment(file.server.url, id, ownerKey, { body: 'Nice document overall' });
    expect(general.quote).toBeNull();

    const patched = await commentsCall(file.server.url, id, comment.key, { method: 'PATCH', commentId: thread.id, body: { resolved: true } });
    expect(patched.status).toBe(200);
    await waitFor(() => readThreads(owner.doc).find((t) => t.id === thread.id)?.resolved === true, 'resolved live');

    const listed = await listComments(file.server.url, id, comment.key);
    // Oldest first (two made in the same millisecond are ordered by id, so compare as a set).
    expect(listed.map((t) => Date.parse(t.createdAt))).toEqual(listed.map((t) => Date.parse(t.createdAt)).sort((a, b) => a - b));
    expect(new Map(listed.map((t) => [t.id, [t.resolved, t.replies.map((r) => r.id)]]))).toEqual(
      new Map([
        [thread.id, [true, [reply.id]]],
        [spanning.id, [false, []]],
        [general.id, [false, []]],
      ]),
    );
    expect(Object.keys(listed[0]!.replies[0]!).sort()).toEqual(['author', 'body', 'createdAt', 'id']);

    const reopened = await commentsCall(file.server.url, id, ownerKey, { method: 'PATCH', commentId: thread.id, body: { resolved: false } });
    expect((reopened.json as ThreadJson).resolved).toBe(false);
  });

  it('refuses bad input with 400, unknown comments with 404, and keys as for every route', async () => {
    const { id, ownerKey } = await documentWithText(['Only this text.']);
    const view = await createLink(file.server.url, id, ownerKey, { role: 'view' });
    const thread = await postComment(file.server.url, id, ownerKey, { body: 'first' });
    const reply = (await postComment(file.server.url, id, ownerKey, { body: 'second', parentId: thread.id })) as unknown as { id: string };
    const url = file.server.url;
    const cases: Array<[string, Promise<{ status: number; json: unknown }>, number]> = [
      ['no key', commentsCall(url, id, null), 401],
      ['wrong key', commentsCall(url, id, 'wrong'), 401],
      ['view key posts', commentsCall(url, id, view.key, { method: 'POST', body: { body: 'x' } }), 403],
      ['empty body', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: '   ' } }), 400],
      ['no body field', commentsCall(url, id, ownerKey, { method: 'POST', body: {} }), 400],
      ['unknown field', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x', colour: 'red' } }), 400],
      ['not JSON', commentsCall(url, id, ownerKey, { method: 'POST', rawBody: '{' }), 400],
      ['quote not in the text', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x', quote: 'elsewhere' } }), 400],
      ['quote and parentId', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x', quote: 'Only', parentId: thread.id } }), 400],
      ['unknown parent', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x', parentId: 'nope' } }), 404],
      ['reply to a reply', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x', parentId: reply.id } }), 400],
      ['too long', commentsCall(url, id, ownerKey, { method: 'POST', body: { body: 'x'.repeat(20_000) } }), 413],
      ['patch unknown', commentsCall(url, id, ownerKey, { method: 'PATCH', commentId: 'nope', body: { resolved: true } }), 404],
      ['patch a reply', commentsCall(url, id, ownerKey, { method: 'PATCH', commentId: reply.id, body: { resolved: true } }), 400],
      ['patch without resolved', commentsCall(url, id, ownerKey, { method: 'PATCH', commentId: thread.id, body: {} }), 400],
      ['resolved not a boolean', commentsCall(url, id, ownerKey, { method: 'PATCH', commentId: thread.id, body: { resolved: 'yes' } }), 400],
    ];
    for (const [what, call, status] of cases) {
      const answer = await call;
      expect(answer.status, what).toBe(status);
      expect(answer.json, what).toMatchObject({ error: expect.any(String) });
    }
    // Nothing of that was written.
    const listed = await listComments(url, id, ownerKey);
    expect(listed.map((t) => [t.body, t.replies.length])).toEqual([['first', 1]]);
  });
});

describe('anchors under concurrent edits (rule C3)', () => {
  const ROUNDS = 12;

  it(`replicas agree on every thread's passage after ${ROUNDS} seeded rounds of concurrent edits around and inside it`, async () => {
    const { seed, gen } = seededRandom('comment anchors');
    const lines = ['Alpha beta gamma delta.', 'The quick brown fox jumps over the lazy dog.', 'Epsilon zeta eta theta.'];
    const { id, ownerKey, owner } = await documentWithText(lines);
    const editLink = await createLink(file.server.url, id, ownerKey, { role: 'edit' });
    const commentLink = await createLink(file.server.url, id, ownerKey, { role: 'comment' });
    const editor = open(id, editLink.key);
    const commenter = open(id, commentLink.key);
    await waitFor(() => [editor, commenter].every((c) => c.provider.synced && paragraphs(c.doc).length === 3), 'clients synced');
    await postComment(file.server.url, id, ownerKey, { body: 'inside one paragraph', quote: 'brown fox jumps' });
    await postComment(file.server.url, id, ownerKey, { body: 'across paragraphs', quote: 'lazy dog.\nEpsilon' });
    const clients = [owner, editor, commenter];
    await waitFor(() => clients.every((c) => readThreads(c.doc).length === 2), 'threads everywhere');

    const writers = [owner, editor];
    const converged = () => {
      const vectors = clients.map((c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('hex'));
      return vectors.every((v) => v === vectors[0]) && clients.every((c) => c.doc.store.pendingStructs === null);
    };
    const placesOf = (client: Client) => placeThreads(client.doc).map((t) => ({ body: t.body, detached: t.detached, text: t.range?.text ?? null }));

    let roundsWithPassages = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Every writer edits its own replica in the same turn, so the edits are concurrent.
      for (const writer of writers) {
        for (let op = 0; op < 4; op++) editNearPassages(writer.doc, gen);
      }
      // Meanwhile the commenter comments on some passage of its own.
      const quote = somePassage(commenter.doc, gen);
      if (quote && prng.bool(gen)) commentOn(commenter, quote, `round ${round}`);
      await waitFor(converged, `seed ${seed}, round ${round}: replicas converged`, 10_000);
      const expected = placesOf(owner);
      for (const client of clients) expect(placesOf(client), `seed ${seed}, round ${round}`).toEqual(expected);
      if (expected.some((place) => place.text !== null && place.text.length > 0)) roundsWithPassages++;
    }
    // Agreeing that everything is detached would prove little: most rounds had live passages.
    expect(roundsWithPassages, `seed ${seed}`).toBeGreaterThan(ROUNDS / 2);
    // A cold load from storage and the HTTP API agree too.
    const fresh = open(id, ownerKey);
    await waitFor(() => fresh.provider.synced && converged() && readThreads(fresh.doc).length === readThreads(owner.doc).length, 'fresh client synced');
    expect(placesOf(fresh)).toEqual(placesOf(owner));
    const listed = await listComments(file.server.url, id, ownerKey);
    expect(listed.map((t) => t.detached)).toEqual(placesOf(owner).map((p) => p.detached));
  });

  it('keeps a detached thread, with the text it was about, when the whole passage is deleted', async () => {
    const { id, ownerKey, owner } = await documentWithText(['Keep this. Delete this sentence. Keep that.']);
    const thread = await postComment(file.server.url, id, ownerKey, { body: 'Wordy', quote: 'Delete this sentence.' });
    await waitFor(() => readThreads(owner.doc).length === 1, 'thread arrived');
    paragraphText(owner.doc, 0).delete('Keep this. '.length, 'Delete this sentence. '.length);
    const watcher = open(id, ownerKey);
    await waitFor(() => watcher.provider.synced && paragraphs(watcher.doc)[0] === 'Keep this. Keep that.', 'deletion relayed');
    expect(placeThreads(watcher.doc)[0]).toMatchObject({ detached: true, quote: 'Delete this sentence.' });
    const [listed] = await listComments(file.server.url, id, ownerKey);
    expect(listed).toMatchObject({ id: thread.id, detached: true, quote: 'Delete this sentence.' });
  });
});

/** One random edit near the passages: typing or deleting just before, inside or just after them. */
function editNearPassages(doc: Y.Doc, gen: prng.PRNG): void {
  const fragment = doc.getXmlFragment(CONTENT_FIELD);
  const count = fragment.length;
  if (count === 0) return writeParagraphs(doc, [prng.word(gen, 3, 8)]);
  const roll = prng.uint32(gen, 0, 99);
  if (roll < 2 && count > 1) return fragment.delete(prng.uint32(gen, 0, count - 1), 1);
  if (roll < 6) {
    const paragraph = new Y.XmlElement('paragraph');
    fragment.insert(prng.uint32(gen, 0, count), [paragraph]);
    paragraph.insert(0, [new Y.XmlText(prng.word(gen, 2, 6))]);
    return;
  }
  const paragraph = fragment.get(prng.uint32(gen, 0, count - 1));
  const text = paragraph instanceof Y.XmlElement ? paragraph.get(0) : null;
  if (!(text instanceof Y.XmlText)) return;
  // Positions near the passages' ends are the interesting ones: pick them more often.
  const placed = placeThreads(doc).flatMap((t) => (t.range ? [t.range.from, t.range.to] : []));
  const length = text.length;
  const start = indexText(fragment).textStarts.get(text) ?? 0;
  const near = placed.map((offset) => offset - start + prng.int32(gen, -2, 2)).filter((at) => at >= 0 && at <= length);
  const at = near.length > 0 && prng.bool(gen) ? prng.oneOf(gen, near) : prng.uint32(gen, 0, length);
  if (length > 0 && roll < 35) text.delete(Math.min(at, length - 1), Math.min(prng.uint32(gen, 1, 3), length - Math.min(at, length - 1)));
  else text.insert(at, prng.word(gen, 1, 5));
}

/** A few characters of one paragraph, picked at random; null if there is no text. */
function somePassage(doc: Y.Doc, gen: prng.PRNG): string | null {
  const lines = indexText(doc.getXmlFragment(CONTENT_FIELD)).text.split('\n').filter((line) => line.length >= 3);
  if (lines.length === 0) return null;
  const line = prng.oneOf(gen, lines);
  const from = prng.uint32(gen, 0, line.length - 3);
  return line.slice(from, from + prng.uint32(gen, 3, Math.min(8, line.length - from)));
}
