import { describe, expect, it } from 'vitest';
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { MessageType } from '../../lib/protocol';
import { connectClient, createDoc, createLink, startServer, tempDir } from '../helpers/tandem';
import { metric } from '../helpers/metrics';
import { waitFor, waitForAsync } from '../helpers/wait';

describe('persistence', () => {
  it('keeps every document across a restart with the same data directory', async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    const docs = await Promise.all([createDoc(first.url), createDoc(first.url), createDoc(first.url)]);
    const writers = docs.map((d) => connectClient(first.wsUrl, d.id, d.ownerKey));
    await waitFor(() => writers.every((w) => w.provider.synced), 'writers synced');
    writers.forEach((w, i) => w.text.insert(0, `document ${i}`));
    // A second client seeing the text proves the server committed and relayed it.
    const watchers = docs.map((d) => connectClient(first.wsUrl, d.id, d.ownerKey));
    await waitFor(() => watchers.every((w, i) => w.text.toString() === `document ${i}`), 'watchers see the text');
    for (const c of [...writers, ...watchers]) c.destroy();
    await first.stop();

    const second = await startServer({ dataDir });
    const readers = docs.map((d) => connectClient(second.wsUrl, d.id, d.ownerKey));
    await waitFor(() => readers.every((r, i) => r.provider.synced && r.text.toString() === `document ${i}`), 'every document back after restart');
    for (const r of readers) r.destroy();
    await second.stop();
  });

  it('a view key’s edits are not in storage after a restart', async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    const { id, ownerKey } = await createDoc(first.url);
    const view = await createLink(first.url, id, ownerKey, { role: 'view' });
    const owner = connectClient(first.wsUrl, id, ownerKey);
    const viewer = connectClient(first.wsUrl, id, view.key);
    await waitFor(() => owner.provider.synced && viewer.provider.synced, 'synced');
    viewer.text.insert(0, 'forbidden');
    owner.text.insert(0, 'allowed');
    await waitFor(() => viewer.text.toString().includes('allowed'), 'viewer got the owner edit');
    owner.destroy();
    viewer.destroy();
    await first.stop();

    const second = await startServer({ dataDir });
    const reader = connectClient(second.wsUrl, id, ownerKey);
    await waitFor(() => reader.provider.synced && reader.text.toString() === 'allowed', 'stored state has only the owner edit');
    reader.destroy();
    await second.stop();
  });

  it('compacts a long log into a snapshot and loads the same document', async () => {
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    const { id, ownerKey } = await createDoc(first.url);
    const writer = connectClient(first.wsUrl, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'synced');
    // About 200 KiB of single-character updates: well past the compaction threshold.
    const line = 'The quick brown fox jumps over the lazy dog. ';
    for (let i = 0; i < 4_500; i++) writer.text.insert(writer.text.length, line[i % line.length]!);
    const expected = writer.text.toString();
    const watcher = connectClient(first.wsUrl, id, ownerKey);
    await waitFor(() => watcher.text.toString() === expected, 'all updates relayed', 20_000);
    // Compaction builds its snapshot in the fold process: wait for it to be stored.
    await waitForAsync(async () => (await metric(first.url, 'tandem_compactions_total')) >= 1, 'a compaction', 20_000);
    writer.destroy();
    watcher.destroy();
    await first.stop();

    const second = await startServer({ dataDir });
    const reader = connectClient(second.wsUrl, id, ownerKey);
    await waitFor(() => reader.provider.synced && reader.text.toString() === expected, 'compacted document loads whole');
    reader.destroy();
    await second.stop();
  });

  it('tells a client that asked when its updates are durable', async () => {
    const server = await startServer();
    const { id, ownerKey } = await createDoc(server.url);
    const client = connectClient(server.wsUrl, id, ownerKey, { saved: '1' });
    const acks: Map<number, number>[] = [];
    client.provider.messageHandlers[MessageType.Saved] = (_encoder, decoder) => {
      acks.push(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
    };
    await waitFor(() => client.provider.synced && acks.length > 0, 'ack after sync');
    client.text.insert(0, 'durable?');
    const clock = Y.getState(client.doc.store, client.doc.clientID);
    await waitFor(() => (acks.at(-1)?.get(client.doc.clientID) ?? 0) >= clock, 'ack covering the edit');
    // A stock client that did not ask never gets the extension frame.
    const plain = connectClient(server.wsUrl, id, ownerKey);
    let unknown = 0;
    plain.provider.messageHandlers[MessageType.Saved] = () => unknown++;
    await waitFor(() => plain.provider.synced, 'plain synced');
    plain.text.insert(0, 'x');
    await waitFor(() => client.text.toString().startsWith('x'), 'relayed');
    expect(unknown).toBe(0);
    client.destroy();
    plain.destroy();
    await server.stop();
  });

  it('acknowledges bursts of interleaved writers up to each one\'s last update, never going back', async () => {
    const server = await startServer();
    const { id, ownerKey } = await createDoc(server.url);
    const writers = [0, 1].map(() => {
      const client = connectClient(server.wsUrl, id, ownerKey, { saved: '1' });
      const acks: number[] = [];
      client.provider.messageHandlers[MessageType.Saved] = (_encoder, decoder) => {
        acks.push(Y.decodeStateVector(decoding.readVarUint8Array(decoder)).get(client.doc.clientID) ?? 0);
      };
      return { client, acks };
    });
    await waitFor(() => writers.every((w) => w.client.provider.synced), 'writers synced');
    // One frame per insert, runs of one writer's updates and alternations in the same turn: the
    // state vector is encoded lazily per run (README, "Durable before relay").
    for (let round = 0; round < 20; round += 1) {
      const w = writers[round % 2]!;
      for (let i = 0; i < 1 + (round % 4); i += 1) w.client.text.insert(0, 'x');
    }
    for (const w of writers) {
      const clock = Y.getState(w.client.doc.store, w.client.doc.clientID);
      await waitFor(() => (w.acks.at(-1) ?? 0) === clock, 'an acknowledgement covering the last update');
      expect(w.acks).toEqual([...w.acks].sort((a, b) => a - b));
    }
    for (const w of writers) w.client.destroy();
    await server.stop();
  });
});
