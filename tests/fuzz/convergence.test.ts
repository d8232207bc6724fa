import { describe, expect, it } from 'vitest';
import * as prng from 'lib0/prng';
import * as Y from 'yjs';
import { connectClient, createDoc, startServer, tempDir, type Client } from '../helpers/tandem';
import { seededRandom } from '../helpers/seed';
import { waitFor } from '../helpers/wait';

const ROUNDS = 6;
const CLIENTS = 4;
const STEPS = 120;

/** Everything a replica holds, in a form two replicas can be compared by. */
function contentOf(doc: Y.Doc) {
  return {
    text: doc.getText('t').toString(),
    xml: doc.getXmlFragment('default').toString(),
    // Key order of a Y.Map depends on the order updates arrived in; compare sorted.
    map: Object.entries(doc.getMap('m').toJSON()).sort(([a], [b]) => a.localeCompare(b)),
    stateVector: [...Y.decodeStateVector(Y.encodeStateVector(doc))].sort(([a], [b]) => a - b),
    pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
  };
}

function randomEdit(gen: prng.PRNG, doc: Y.Doc): void {
  switch (prng.uint32(gen, 0, 3)) {
    case 0: {
      const text = doc.getText('t');
      if (text.length > 0 && prng.bool(gen)) {
        const at = prng.uint32(gen, 0, text.length - 1);
        text.delete(at, prng.uint32(gen, 1, Math.min(5, text.length - at)));
      } else {
        text.insert(prng.uint32(gen, 0, text.length), prng.word(gen, 1, 6));
      }
      return;
    }
    case 1: {
      const xml = doc.getXmlFragment('default');
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(prng.word(gen, 1, 8))]);
      xml.insert(prng.uint32(gen, 0, xml.length), [paragraph]);
      return;
    }
    case 2: {
      const xml = doc.getXmlFragment('default');
      if (xml.length > 0) xml.delete(prng.uint32(gen, 0, xml.length - 1), 1);
      return;
    }
    default:
      doc.getMap('m').set(prng.word(gen, 1, 2), prng.uint32(gen, 0, 1000));
  }
}

describe('seeded randomized convergence through the real server', () => {
  it(`converges every replica and a cold load, over ${ROUNDS} rounds`, async () => {
    const { seed, gen } = seededRandom('convergence');
    for (let round = 0; round < ROUNDS; round++) {
      const dataDir = tempDir();
      const server = await startServer({ dataDir });
      const { id, ownerKey } = await createDoc(server.url);
      const clients: Client[] = Array.from({ length: CLIENTS }, () => connectClient(server.wsUrl, id, ownerKey));
      await waitFor(() => clients.every((c) => c.provider.synced), 'initial sync');
      for (let step = 0; step < STEPS; step++) {
        const client = prng.oneOf(gen, clients);
        const roll = prng.uint32(gen, 0, 99);
        if (roll < 8) client.provider.disconnect();
        else if (roll < 16) client.provider.connect();
        else randomEdit(gen, client.doc);
        // Let the network interleave some deliveries between steps, at a random pace.
        if (prng.uint32(gen, 0, 3) === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      for (const client of clients) client.provider.connect();
      const label = `seed ${seed}, round ${round}`;
      await waitFor(
        () => {
          const first = JSON.stringify(contentOf(clients[0]!.doc));
          return clients.every((c) => c.provider.synced && JSON.stringify(contentOf(c.doc)) === first);
        },
        `${label}: replicas to converge`,
        20_000,
      );
      const expected = contentOf(clients[0]!.doc);
      expect(expected.pending, label).toBe(false);
      for (const c of clients) c.destroy();
      await server.stop();

      const restarted = await startServer({ dataDir });
      const cold = connectClient(restarted.wsUrl, id, ownerKey);
      await waitFor(() => cold.provider.synced, `${label}: cold load`);
      expect(contentOf(cold.doc), `${label}: cold load equals the replicas`).toEqual(expected);
      cold.destroy();
      await restarted.stop();
    }
  }, 120_000);
});
