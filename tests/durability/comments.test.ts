/**
 * Comments are part of the document, so they are exactly as durable as its text (docs/PROTOCOL.md,
 * rules C4, D1, D7): they survive SIGKILL and the compaction of a long log into a snapshot.
 */
import { describe, expect, it } from 'vitest';
import { addThread, placeThreads, readThreads } from '../../lib/comments/comment-doc';
import { anchorsForQuote } from '../../lib/comments/text-anchors';
import { CONTENT_FIELD } from '../../lib/protocol';
import { listComments, postComment } from '../helpers/comments-api';
import { paragraphText, paragraphs, writeParagraphs } from '../helpers/paragraphs';
import { spawnServer } from '../helpers/server-process';
import { connectClient, createDoc, createLink, tempDir } from '../helpers/tandem';
import { waitFor, waitForAsync } from '../helpers/wait';

const summary = (threads: Awaited<ReturnType<typeof listComments>>) => threads.map((t) => [t.body, t.quote, t.detached, t.resolved, t.replies.map((r) => r.body)]);

describe('comments are durable', () => {
  it('survive SIGKILL, whether made over HTTP or by a comment key’s client', async () => {
    const dataDir = tempDir();
    let server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    try {
      const { id, ownerKey } = await createDoc(server.url);
      const comment = await createLink(server.url, id, ownerKey, { role: 'comment' });
      const writer = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => writer.provider.synced, 'writer synced');
      writeParagraphs(writer.doc, ['Durable text with a passage worth a comment.']);
      // Over HTTP: 201 is sent once the comment is committed (rule C2).
      const thread = await postComment(server.url, id, comment.key, { body: 'Over HTTP', quote: 'a passage' });
      await postComment(server.url, id, comment.key, { body: 'A reply', parentId: thread.id });
      // Over the socket: once another client has it, it was committed (rule D1).
      const commenter = connectClient(server.wsUrl, id, comment.key);
      await waitFor(() => commenter.provider.synced && readThreads(commenter.doc).length === 1, 'commenter synced');
      const anchors = anchorsForQuote(commenter.doc.getXmlFragment(CONTENT_FIELD), 'Durable text')!;
      addThread(commenter.doc, { body: 'Over the socket', author: { name: 'Rita', color: null, authorId: null }, now: Date.now() }, { anchors, quote: 'Durable text' });
      await waitFor(() => readThreads(writer.doc).length === 2, 'the socket comment reached the writer');
      const before = summary(await listComments(server.url, id, ownerKey));
      writer.destroy();
      commenter.destroy();

      await server.kill('SIGKILL');
      server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
      const after = await listComments(server.url, id, ownerKey);
      expect(summary(after)).toEqual(before);
      expect(summary(after)).toEqual([
        ['Over HTTP', 'a passage', false, false, ['A reply']],
        ['Over the socket', 'Durable text', false, false, []],
      ]);
    } finally {
      await server.kill('SIGKILL');
    }
  }, 120_000);

  it('survive compaction, anchors included', async () => {
    const dataDir = tempDir();
    let server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    try {
      const { id, ownerKey } = await createDoc(server.url);
      const writer = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => writer.provider.synced, 'writer synced');
      writeParagraphs(writer.doc, ['Start. The anchored passage. ', 'Second paragraph.']);
      await postComment(server.url, id, ownerKey, { body: 'Before the long log', quote: 'anchored passage' });
      // About 200 KiB of single-character updates, typed inside and around the passage's paragraph:
      // well past the compaction threshold.
      const text = paragraphText(writer.doc, 0);
      const line = 'The quick brown fox jumps over the lazy dog. ';
      for (let i = 0; i < 4_500; i++) text.insert(i % 2 === 0 ? 0 : text.length, line[i % line.length]!);
      const expected = text.toString();
      const watcher = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => watcher.provider.synced && paragraphs(watcher.doc)[0] === expected, 'all updates relayed', 30_000);
      const metrics = () => fetch(`${server.url}/metrics`).then((res) => res.text());
      await waitForAsync(async () => /tandem_compactions_total [1-9]/.test(await metrics()), 'a compaction', 30_000);
      await postComment(server.url, id, ownerKey, { body: 'After the snapshot', quote: 'Second' });
      writer.destroy();
      watcher.destroy();

      await server.kill('SIGKILL');
      server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
      expect(summary(await listComments(server.url, id, ownerKey))).toEqual([
        ['Before the long log', 'anchored passage', false, false, []],
        ['After the snapshot', 'Second', false, false, []],
      ]);
      const reader = connectClient(server.wsUrl, id, ownerKey);
      await waitFor(() => reader.provider.synced && readThreads(reader.doc).length === 2, 'reader synced');
      expect(placeThreads(reader.doc).map((t) => t.range?.text)).toEqual(['anchored passage', 'Second']);
      reader.destroy();
    } finally {
      await server.kill('SIGKILL');
    }
  }, 120_000);
});
