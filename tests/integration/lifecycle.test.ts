import { describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { connectClient, countingStorage, createDoc, startServer, tempDir } from '../helpers/tandem';
import { RawSocket } from '../helpers/raw-socket';
import { spawnServer } from '../helpers/server-process';
import { metric } from '../helpers/metrics';
import { nextEvent, waitFor, waitForAsync } from '../helpers/wait';

describe('document lifecycle', () => {
  it('unloads documents when their last client leaves, so memory stays bounded (L2)', async () => {
    const counted = countingStorage(tempDir());
    const server = await startServer({ overrides: { storage: counted.storage } });
    const docs = await Promise.all(Array.from({ length: 50 }, () => createDoc(server.url)));
    const clients = docs.map((d) => connectClient(server.wsUrl, d.id, d.ownerKey));
    await waitFor(() => clients.every((c) => c.provider.synced), 'all synced');
    clients.forEach((c, i) => c.text.insert(0, `doc ${i}`));
    expect(docs.map((d) => counted.loads(d.id))).toEqual(docs.map(() => 1));
    for (const c of clients) c.destroy();
    await waitForAsync(async () => (await metric(server.url, 'tandem_documents_loaded')) === 0, 'every document unloaded');
    // Unloaded after everything was committed: each document is read from storage again, whole.
    const again = docs.map((d) => connectClient(server.wsUrl, d.id, d.ownerKey));
    await waitFor(() => again.every((c, i) => c.text.toString() === `doc ${i}`), 'documents reload whole');
    expect(docs.map((d) => counted.loads(d.id))).toEqual(docs.map(() => 2));
    for (const c of again) c.destroy();
    await server.stop();
  });

  it('loads a document once for many simultaneous connections (L1)', async () => {
    const counted = countingStorage(tempDir());
    const server = await startServer({ overrides: { storage: counted.storage } });
    const { id, ownerKey } = await createDoc(server.url);
    const clients = Array.from({ length: 30 }, () => connectClient(server.wsUrl, id, ownerKey));
    await waitFor(() => clients.every((c) => c.provider.synced), 'all synced');
    clients[0]!.text.insert(0, 'one room');
    await waitFor(() => clients.every((c) => c.text.toString() === 'one room'), 'all in one room');
    // Counted at the storage: a second load would show here even though the room map holds one entry.
    expect(counted.loads(id)).toBe(1);
    for (const c of clients) c.destroy();
    await server.stop();
  });

  it('closes a client that stops reading once its send buffer passes the limit', async () => {
    const server = await startServer({ config: { maxBufferedBytes: 256 * 1024 } });
    const { id, ownerKey } = await createDoc(server.url);
    const slow = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await slow.opened;
    // Stop reading: the kernel buffers fill, then the server's send buffer grows.
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const writer = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'writer synced');
    const chunk = 'x'.repeat(16 * 1024);
    const deadline = Date.now() + 20_000;
    while ((await metric(server.url, 'tandem_connections_closed_by_server_total{code="1013"}')) === 0) {
      if (Date.now() > deadline) throw new Error('slow consumer was never closed');
      writer.text.insert(writer.text.length, chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(writer.provider.wsconnected).toBe(true);
    writer.destroy();
    slow.ws.terminate();
    await server.stop();
  });

  it('on SIGTERM commits what it accepted, closes clients with 1012 and exits 0', async () => {
    const dataDir = tempDir();
    const server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    const { id, ownerKey } = await createDoc(server.url);
    const client = connectClient(server.wsUrl, id, ownerKey);
    const watcher = connectClient(server.wsUrl, id, ownerKey);
    await waitFor(() => client.provider.synced && watcher.provider.synced, 'synced');
    client.text.insert(0, 'before shutdown');
    await waitFor(() => watcher.text.toString() === 'before shutdown', 'relayed');
    const closed = nextEvent<[CloseEvent | null]>(client.provider, 'connection-close', 10_000);
    expect(await server.kill('SIGTERM')).toBe(0);
    const [event] = await closed;
    expect(event?.code).toBe(1012);
    client.destroy();
    watcher.destroy();
    const restarted = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    const reader = connectClient(restarted.wsUrl, id, ownerKey);
    await waitFor(() => reader.text.toString() === 'before shutdown', 'kept across the restart');
    reader.destroy();
    await restarted.kill('SIGTERM');
  });
});
