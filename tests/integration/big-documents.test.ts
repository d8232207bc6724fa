import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import { metric } from '../helpers/metrics';
import { connectClient, createDoc, startServer, type Client, type RunningServer } from '../helpers/tandem';
import { waitFor, waitForAsync } from '../helpers/wait';

/** One update per character typed at the end, as a person writing would make them. */
function typedUpdates(count: number): { updates: Uint8Array[]; text: string } {
  const doc = new Y.Doc();
  doc.clientID = 1;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const line = 'Big documents open without stalling anyone. ';
  for (let i = 0; i < count; i++) doc.getText('t').insert(i, line[i % line.length]!);
  return { updates, text: doc.getText('t').toString() };
}

/** Log entries the SQLite file holds for a document, read on a connection of the test's own. */
function storedEntries(dataDir: string, docId: string): number {
  const db = new Database(path.join(dataDir, 'tandem.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM updates WHERE doc_id = ?').get(docId) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The document's stored snapshot and the state vector stored with it. */
function storedSnapshot(dataDir: string, docId: string): { data: Buffer; state_vector: Buffer | null } {
  const db = new Database(path.join(dataDir, 'tandem.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT data, state_vector FROM snapshots WHERE doc_id = ?').get(docId) as { data: Buffer; state_vector: Buffer | null };
  } finally {
    db.close();
  }
}

const servers: RunningServer[] = [];
const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.stop();
});

/** A server on a data directory holding one document, written to storage as `write` says. */
async function serverWith(write: (storage: ReturnType<typeof createSqliteStorage>, docId: DocId) => Promise<void>) {
  const first = await startServer();
  const { id, ownerKey } = await createDoc(first.url);
  await first.stop();
  const storage = createSqliteStorage({ dataDir: first.dataDir });
  await write(storage, id as DocId);
  await storage.close();
  const server = await startServer({ dataDir: first.dataDir });
  servers.push(server);
  const open = (doc?: Y.Doc) => {
    const client = connectClient(server.wsUrl, id, ownerKey);
    if (doc) Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(doc));
    clients.push(client);
    return client;
  };
  return { server, id, open };
}

describe('big documents (rule D12)', () => {
  it('a long log is read and folded by the fold process; readers never make the server build it; its entries are swept after compaction', async () => {
    // Past the fold's length (2,000 entries) and the compaction's 64 KiB (about 12 bytes each).
    const { updates, text } = typedUpdates(8_000);
    const { server, id, open } = await serverWith((storage, docId) => storage.log.append(updates.map((update) => ({ docId, update }))));
    const [a, b] = [open(), open()];
    await waitFor(() => a.provider.synced && b.provider.synced && a.text.toString() === text && b.text.toString() === text, 'both readers have the document', 20_000);
    expect(await metric(server.url, 'tandem_document_loads_total')).toBe(1);
    expect(await metric(server.url, 'tandem_document_builds_total')).toBe(0);

    // The fold process's snapshot is stored, and the entries it covers go, a slice at a time.
    await waitForAsync(async () => (await metric(server.url, 'tandem_compactions_total')) >= 1, 'the folded snapshot stored', 20_000);
    await waitFor(() => storedEntries(server.dataDir, id) === 0, 'covered entries swept', 20_000);
    // Stored with its own state vector, which later loads serve without reading the snapshot.
    const stored = storedSnapshot(server.dataDir, id);
    expect(stored.state_vector).not.toBeNull();
    expect(Buffer.from(stored.state_vector!).equals(Buffer.from(Y.encodeStateVectorFromUpdate(stored.data)))).toBe(true);

    // An edit needs the server's copy: built once, and the edit reaches the other reader.
    a.text.insert(0, '> ');
    await waitFor(() => b.text.toString() === `> ${text}`, 'the edit relayed');
    expect(await metric(server.url, 'tandem_document_builds_total')).toBe(1);
  });

  it('a big compacted document serves one reader after another from its stored bytes, none of them cut off', async () => {
    // A snapshot past 64 KiB: its state vector is read in the fold process.
    const whole = new Y.Doc();
    whole.getText('t').insert(0, 'Readers keep coming. '.repeat(4_000));
    const text = whole.getText('t').toString();
    const { server, open } = await serverWith(async (storage, docId) => {
      expect(await storage.log.compact(docId, Y.encodeStateAsUpdate(whole), 1)).toBe(true);
    });
    const closes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const reader = open();
      reader.provider.on('connection-close', (event: { code: number } | null) => closes.push(event?.code ?? -1));
      await waitFor(() => reader.provider.synced && reader.text.toString() === text, `reader ${i + 1} has the document`, 20_000);
    }
    expect(closes).toEqual([]);
    expect(await metric(server.url, 'tandem_document_builds_total')).toBe(0);
    expect(await metric(server.url, 'tandem_fold_requests_total{kind="state-vector"}')).toBe(1);
  });

  it('a compacted document stored with its state vector is served without reading one from its bytes', async () => {
    const whole = new Y.Doc();
    whole.getText('t').insert(0, 'Stored with its state vector. '.repeat(4_000));
    const text = whole.getText('t').toString();
    const { server, open } = await serverWith(async (storage, docId) => {
      expect(await storage.log.compact(docId, Y.encodeStateAsUpdate(whole), 1, Y.encodeStateVector(whole))).toBe(true);
    });
    const reader = open();
    // The server's sync step 1 carries the stored state vector, so the reader's sync completes.
    await waitFor(() => reader.provider.synced && reader.text.toString() === text, 'the reader has the document', 20_000);
    const writer = open();
    await waitFor(() => writer.provider.synced, 'the writer synced', 20_000);
    writer.text.insert(0, '> ');
    await waitFor(() => reader.text.toString() === `> ${text}`, 'the edit reached the reader', 20_000);
    expect(await metric(server.url, 'tandem_fold_requests_total{kind="state-vector"}')).toBe(0);
  });

  it('a client holding part of a compacted document is sent the rest, cut from the snapshot without building it', async () => {
    const { updates, text } = typedUpdates(600);
    const partial = new Y.Doc();
    for (const update of updates.slice(0, 250)) Y.applyUpdate(partial, update);
    const whole = new Y.Doc();
    for (const update of updates) Y.applyUpdate(whole, update);
    const { server, open } = await serverWith(async (storage, docId) => {
      expect(await storage.log.compact(docId, Y.encodeStateAsUpdate(whole), 1)).toBe(true);
    });
    const returning = open(partial);
    await waitFor(() => returning.provider.synced && returning.text.toString() === text, 'the rest arrived', 20_000);
    expect(await metric(server.url, 'tandem_document_builds_total')).toBe(0);
  });
});
