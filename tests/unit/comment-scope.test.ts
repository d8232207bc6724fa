/**
 * A comment-only key may change the `comments` root type and nothing else (docs/PROTOCOL.md,
 * rule C1). Honest clients' comment updates pass byte for byte; everything else, however it is
 * disguised, is taken out before the server integrates the update.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { addReply, addThread, commentsMap, deleteComment, readThreads, setResolved } from '../../lib/comments/comment-doc';
import { anchorsForQuote } from '../../lib/comments/text-anchors';
import { CONTENT_FIELD, TITLE_FIELD } from '../../lib/protocol';
import { encodeStructUpdate, limitToComments } from '../../server/rooms/comment-scope';
import { paragraphText, writeParagraphs } from '../helpers/paragraphs';

const author = { name: 'Rita Reviewer', color: '#1c7ed6', authorId: 'rita' };

/** The server's copy: two paragraphs and a title, written by an editor. */
function serverDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 1;
  writeParagraphs(doc, ['The quick brown fox', 'jumps over the lazy dog']);
  doc.getText(TITLE_FIELD).insert(0, 'Animals');
  return doc;
}

/** A commenter's replica, synced with the server. */
function replicaOf(server: Y.Doc, clientID = 7): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
  return doc;
}

/** The update `change` makes on `doc`. */
function captured(doc: Y.Doc, change: () => void): Uint8Array {
  const updates: Uint8Array[] = [];
  const listener = (update: Uint8Array) => updates.push(update);
  doc.on('update', listener);
  doc.transact(change);
  doc.off('update', listener);
  expect(updates.length).toBe(1);
  return updates[0]!;
}

/** Everything that is not a comment: the text and the title, as they read. */
function nonComments(doc: Y.Doc): string {
  return JSON.stringify([doc.getXmlFragment(CONTENT_FIELD).toJSON(), doc.getText(TITLE_FIELD).toString(), [...doc.share.keys()].filter((k) => k !== 'comments').sort()]);
}

const firstText = (doc: Y.Doc) => paragraphText(doc, 0);

/** The id of the character at `index` of the first paragraph's text. */
function charId(doc: Y.Doc, index: number): Y.ID {
  let item = firstText(doc)._start;
  let at = 0;
  while (item && at + item.length <= index) {
    at += item.length;
    item = item.right;
  }
  if (!item) throw new RangeError(`no character ${index}`);
  return Y.createID(item.id.client, item.id.clock + index - at);
}

/** Applies the scoped update to the server and checks that it integrated completely. */
function integrate(server: Y.Doc, update: Uint8Array): void {
  Y.applyUpdate(server, update);
  expect(server.store.pendingStructs).toBeNull();
  expect(server.store.pendingDs).toBeNull();
}

describe('comment scope (rule C1)', () => {
  it('passes a commenter’s threads, replies, resolves and deletions unchanged', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    const before = nonComments(server);
    const updates = [
      captured(commenter, () => {
        const anchors = anchorsForQuote(commenter.getXmlFragment(CONTENT_FIELD), 'brown fox')!;
        addThread(commenter, { body: 'Which fox?', author, now: 1, id: 't1' }, { anchors, quote: 'brown fox' });
      }),
      captured(commenter, () => void addReply(commenter, 't1', { body: 'The red one', author, now: 2, id: 'r1' })),
      captured(commenter, () => void addReply(commenter, 't1', { body: 'Oops', author, now: 3, id: 'r2' })),
      captured(commenter, () => void deleteComment(commenter, 'r2')),
      captured(commenter, () => void setResolved(commenter, 't1', true)),
    ];
    for (const update of updates) {
      const scoped = limitToComments(server, update);
      expect(scoped.dropped).toBe(0);
      expect(scoped.update).toBe(update);
      integrate(server, scoped.update);
    }
    expect(nonComments(server)).toBe(before);
    const [thread] = readThreads(server);
    expect(thread?.resolved).toBe(true);
    expect(thread?.replies.map((r) => r.body)).toEqual(['The red one']);
  });

  it('drops text typed by a commenter and keeps the comment made in the same transaction', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    const before = nonComments(server);
    const update = captured(commenter, () => {
      firstText(commenter).insert(4, 'EVIL ');
      addThread(commenter, { body: 'kept', author, now: 1, id: 't1' }, null);
    });
    const scoped = limitToComments(server, update);
    expect(scoped.dropped).toBe(1);
    integrate(server, scoped.update);
    expect(nonComments(server)).toBe(before);
    expect(readThreads(server).map((t) => t.body)).toEqual(['kept']);
    // The commenter's history has no hole: its next comment integrates at once, on the server
    // and on a replica that only ever saw the scoped updates.
    const replica = replicaOf(server, 9);
    const next = limitToComments(server, captured(commenter, () => void addReply(commenter, 't1', { body: 'next', author, now: 2 })));
    expect(next.dropped).toBe(0);
    integrate(server, next.update);
    integrate(replica, next.update);
    expect(readThreads(replica)[0]?.replies.map((r) => r.body)).toEqual(['next']);
    expect(nonComments(replica)).toBe(before);
  });

  it('drops continued typing whose origin is text it dropped before', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    const before = nonComments(server);
    integrate(server, limitToComments(server, captured(commenter, () => firstText(commenter).insert(19, '!'))).update);
    const second = limitToComments(server, captured(commenter, () => firstText(commenter).insert(20, '!')));
    expect(second.dropped).toBe(1);
    integrate(server, second.update);
    expect(nonComments(server)).toBe(before);
  });

  it('drops deletions of text, and keeps deletions of comments in the same update', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    integrate(server, limitToComments(server, captured(commenter, () => void addThread(commenter, { body: 'gone soon', author, now: 1, id: 't1' }, null))).update);
    const before = nonComments(server);
    const scoped = limitToComments(
      server,
      captured(commenter, () => {
        firstText(commenter).delete(0, 4);
        deleteComment(commenter, 't1');
      }),
    );
    expect(scoped.dropped).toBe(1);
    integrate(server, scoped.update);
    expect(nonComments(server)).toBe(before);
    expect(readThreads(server)).toEqual([]);
  });

  it('drops a key set on another root map and edits of the title', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    const before = nonComments(server);
    const scoped = limitToComments(
      server,
      captured(commenter, () => {
        commenter.getMap('settings').set('owner', 'me');
        commenter.getText(TITLE_FIELD).insert(0, 'Hacked ');
      }),
    );
    expect(scoped.dropped).toBe(2);
    integrate(server, scoped.update);
    expect(nonComments(server)).toBe(before);
    expect(server.getMap('settings').size).toBe(0);
  });

  it('drops a new paragraph pushed straight into the text root', () => {
    const server = serverDoc();
    const commenter = replicaOf(server);
    const before = nonComments(server);
    const scoped = limitToComments(
      server,
      captured(commenter, () => {
        const paragraph = new Y.XmlElement('paragraph');
        commenter.getXmlFragment(CONTENT_FIELD).insert(0, [paragraph]);
        paragraph.insert(0, [new Y.XmlText('injected')]);
      }),
    );
    expect(scoped.dropped).toBeGreaterThanOrEqual(2);
    integrate(server, scoped.update);
    expect(nonComments(server)).toBe(before);
  });

  describe('hand-made updates', () => {
    const attacker = 66;

    it('drops an item that names the comments root but sits next to a character of the text', () => {
      const server = serverDoc();
      const before = nonComments(server);
      // No origin, a right origin in the text, and a parent that claims to be the comments map:
      // Yjs would link it into the text's list of characters.
      const item = new Y.Item(Y.createID(attacker, 0), null, null, null, charId(server, 4), null, null, new Y.ContentString('EVIL'));
      (item as { parent: unknown }).parent = 'comments';
      const update = encodeStructUpdate([item], new Map());
      const scoped = limitToComments(server, update);
      expect(scoped.dropped).toBe(1);
      integrate(server, scoped.update);
      expect(nonComments(server)).toBe(before);
    });

    it('drops an item whose only origin is a character of the text (its parent is taken from it)', () => {
      const server = serverDoc();
      const before = nonComments(server);
      const item = new Y.Item(Y.createID(attacker, 0), null, charId(server, 3), null, null, null, null, new Y.ContentString('EVIL'));
      const scoped = limitToComments(server, encodeStructUpdate([item], new Map()));
      expect(scoped.dropped).toBe(1);
      integrate(server, scoped.update);
      expect(nonComments(server)).toBe(before);
    });

    it('keeps a nested type inside the comments but drops its children that point into the text', () => {
      const server = serverDoc();
      const before = nonComments(server);
      const nested = new Y.Item(Y.createID(attacker, 0), null, null, null, null, null, 'extra', new Y.ContentType(new Y.Array()));
      (nested as { parent: unknown }).parent = 'comments';
      // Its child names the nested array as parent, but is placed after a character of the text.
      const child = new Y.Item(Y.createID(attacker, 1), null, null, null, charId(server, 0), null, null, new Y.ContentString('EVIL'));
      (child as { parent: unknown }).parent = Y.createID(attacker, 0);
      // And a well-behaved child of the same array.
      const good = new Y.Item(Y.createID(attacker, 2), null, null, null, null, null, null, new Y.ContentAny(['fine']));
      (good as { parent: unknown }).parent = Y.createID(attacker, 0);
      const scoped = limitToComments(server, encodeStructUpdate([nested, child, good], new Map()));
      expect(scoped.dropped).toBe(1);
      integrate(server, scoped.update);
      expect(nonComments(server)).toBe(before);
      expect((commentsMap(server).get('extra') as Y.Array<unknown>).toArray()).toEqual(['fine']);
    });

    it('drops an item whose parent is a type in the text, named by id', () => {
      const server = serverDoc();
      const before = nonComments(server);
      const paragraph = (server.getXmlFragment(CONTENT_FIELD).get(0) as Y.XmlElement)._item!.id;
      const item = new Y.Item(Y.createID(attacker, 0), null, null, null, null, null, null, new Y.ContentType(new Y.XmlElement('evil')));
      (item as { parent: unknown }).parent = paragraph;
      const scoped = limitToComments(server, encodeStructUpdate([item], new Map()));
      expect(scoped.dropped).toBe(1);
      integrate(server, scoped.update);
      expect(nonComments(server)).toBe(before);
    });

    it('drops items whose origins point at each other, without recursing forever', () => {
      const server = serverDoc();
      const a = new Y.Item(Y.createID(attacker, 0), null, Y.createID(attacker, 1), null, null, null, null, new Y.ContentString('a'));
      const b = new Y.Item(Y.createID(attacker, 1), null, Y.createID(attacker, 0), null, null, null, null, new Y.ContentString('b'));
      const scoped = limitToComments(server, encodeStructUpdate([a, b], new Map()));
      expect(scoped.dropped).toBe(2);
    });

    it('drops a subdocument, even inside the comments', () => {
      const server = serverDoc();
      const item = new Y.Item(Y.createID(attacker, 0), null, null, null, null, null, 'sub', new Y.ContentDoc(new Y.Doc()));
      (item as { parent: unknown }).parent = 'comments';
      expect(limitToComments(server, encodeStructUpdate([item], new Map())).dropped).toBe(1);
    });

    it('keeps only the part of a deletion range that covers comments', () => {
      const server = serverDoc();
      // One client wrote both a comment and (as an editor, earlier) the title.
      const writer = replicaOf(server, 5);
      Y.applyUpdate(server, captured(writer, () => commentsMap(writer).set('note', 'x')));
      Y.applyUpdate(server, captured(writer, () => writer.getText(TITLE_FIELD).insert(0, 'ABC')));
      const before = nonComments(server);
      // Client 5's clocks 0 (the comment) to 3 (the title) deleted in one range.
      const update = encodeStructUpdate([], new Map([[5, [{ clock: 0, len: 4 }]]]));
      const scoped = limitToComments(server, update);
      expect(scoped.dropped).toBe(1);
      integrate(server, scoped.update);
      expect(nonComments(server)).toBe(before);
      expect(commentsMap(server).has('note')).toBe(false);
    });
  });
});
