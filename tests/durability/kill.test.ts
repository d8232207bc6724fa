import { describe, expect, it } from 'vitest';
import * as prng from 'lib0/prng';
import * as Y from 'yjs';
import { connectClient, createDoc, tempDir, type Client } from '../helpers/tandem';
import { seededRandom } from '../helpers/seed';
import { spawnServer, type ServerProcess } from '../helpers/server-process';
import { waitFor } from '../helpers/wait';

const ROUNDS = 20;
const CLIENTS = 3;

/** True if `doc` already holds everything in `updates` (applying them changes nothing). */
function containsAll(doc: Y.Doc, updates: readonly Uint8Array[]): boolean {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const before = Y.snapshot(copy);
  for (const update of updates) Y.applyUpdate(copy, update);
  return Y.equalSnapshots(before, Y.snapshot(copy));
}

describe('durability under SIGKILL', () => {
  it(`loses no update any peer has seen, over ${ROUNDS} seeded kills`, async () => {
    const { seed, gen } = seededRandom('kill test');
    const dataDir = tempDir();
    let server: ServerProcess = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
    const { id, ownerKey } = await createDoc(server.url);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const clients: Client[] = Array.from({ length: CLIENTS }, () => connectClient(server.wsUrl, id, ownerKey));
        const received: Uint8Array[] = [];
        for (const client of clients) {
          client.doc.on('update', (update: Uint8Array, origin: unknown) => {
            if (origin === client.provider) received.push(update);
          });
        }
        await waitFor(() => clients.every((c) => c.provider.synced), `round ${round}: clients synced`, 20_000);
        // Everyone types at random; the server is killed at a random moment while they do.
        const typing = clients.map((client) =>
          setInterval(() => {
            const text = client.text;
            const at = prng.uint32(gen, 0, text.length);
            if (text.length > 20 && prng.bool(gen)) text.delete(Math.min(at, text.length - 1), 1);
            else text.insert(at, prng.word(gen, 1, 4));
          }, prng.uint32(gen, 1, 6)),
        );
        // Relaying has begun (so the kill falls while updates are being committed and relayed,
        // however slow the machine), then the kill comes at a random moment chosen by the seed.
        await waitFor(() => received.length > 0, `round ${round}: a first relayed update`, 20_000);
        const killAfter = prng.uint32(gen, 0, 270);
        await new Promise((resolve) => setTimeout(resolve, killAfter));
        await server.kill('SIGKILL');
        typing.forEach(clearInterval);
        for (const c of clients) c.destroy();

        server = await spawnServer('server/main.ts', { DATA_DIR: dataDir });
        const checker = connectClient(server.wsUrl, id, ownerKey);
        await waitFor(() => checker.provider.synced, `round ${round}: checker synced`, 20_000);
        const ok = containsAll(checker.doc, received);
        checker.destroy();
        expect(ok, `seed ${seed}, round ${round} (killed after ${killAfter} ms): an update a peer had received was lost`).toBe(true);
      }
    } finally {
      await server.kill('SIGKILL');
    }
  }, 300_000);
});
