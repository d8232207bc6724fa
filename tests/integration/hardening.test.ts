import * as prng from 'lib0/prng';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import { frame, updateFrame } from '../helpers/frames';
import { metric } from '../helpers/metrics';
import { RawSocket } from '../helpers/raw-socket';
import { seededRandom } from '../helpers/seed';
import { connectClient, createDoc, startServer, type Client, type RunningServer } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

/**
 * Updates that decode but do not integrate. Each once took the server down or corrupted a
 * document (rule D5); every crasher the fuzzer below finds joins this list under a name.
 */
const CRASHERS: Record<string, Uint8Array> = {
  // A zero-length deleted item in map `m`, key `a`: passes Y.decodeUpdate, then throws from the
  // end of Yjs's transaction. Stored, it crashed the server at every later open of its document.
  'zero-length deleted map item': Buffer.from('0101b803002101016d01610000', 'hex'),
};

const servers: RunningServer[] = [];
const clients: Client[] = [];
afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const server of servers) await server.stop();
});

async function start(dataDir?: string): Promise<RunningServer> {
  const server = await startServer(dataDir ? { dataDir } : {});
  servers.push(server);
  return server;
}

function open(server: RunningServer, docId: string, key: string): Client {
  const client = connectClient(server.wsUrl, docId, key);
  clients.push(client);
  return client;
}

async function stopServer(server: RunningServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.stop();
}

/** Sends one update on a fresh raw socket with `key`; resolves with the close code, or null if it stayed open. */
async function sendUpdate(server: RunningServer, docId: string, key: string, update: Uint8Array): Promise<number | null> {
  const socket = new RawSocket(`${server.wsUrl}/${docId}?key=${key}`);
  await socket.opened;
  socket.send(updateFrame(update));
  // A sync step 1 after it: its answer (a step 2) proves the update was handled, whatever the outcome.
  socket.send(frame(0, 0, new Uint8Array([0])));
  const answered = waitFor(() => socket.frames.some((f) => f[0] === 0 && f[1] === 1), 'the sync step 2', 10_000).then(() => null);
  const code = await Promise.race([socket.closed.then((c) => c.code), answered]);
  socket.ws.terminate();
  return code;
}

async function storedUpdates(dataDir: string, docId: string): Promise<Uint8Array[]> {
  const storage = createSqliteStorage({ dataDir });
  try {
    const stored = await storage.log.load(docId as DocId);
    return [...(stored.snapshot ? [stored.snapshot] : []), ...stored.updates];
  } finally {
    await storage.close();
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('updates that do not integrate (rule D5)', () => {
  it.each(Object.entries(CRASHERS))('%s: refused with 4400, never stored or relayed; the document opens after a restart', async (_name, update) => {
    const server = await start();
    const { id, ownerKey } = await createDoc(server.url);
    const writer = open(server, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'writer synced');
    writer.text.insert(0, 'before');
    const relayed: Uint8Array[] = [];
    writer.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === writer.provider) relayed.push(u);
    });

    expect(await sendUpdate(server, id, ownerKey, update)).toBe(4400);

    writer.text.insert(6, ' after');
    const reader = open(server, id, ownerKey);
    await waitFor(() => reader.text.toString() === 'before after', 'the document still served');
    expect(relayed.some((u) => sameBytes(u, update))).toBe(false);
    writer.destroy();
    reader.destroy();
    await stopServer(server);
    expect((await storedUpdates(server.dataDir, id)).some((u) => sameBytes(u, update))).toBe(false);

    const restarted = await start(server.dataDir);
    const cold = open(restarted, id, ownerKey);
    await waitFor(() => cold.text.toString() === 'before after', 'the document after a restart');
  });

  it('a bad entry already in the log (from an older version) is skipped with an error; the rest is served', async () => {
    const server = await start();
    const { id, ownerKey } = await createDoc(server.url);
    const writer = open(server, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'writer synced');
    writer.text.insert(0, 'kept');
    const witness = open(server, id, ownerKey);
    await waitFor(() => witness.text.toString() === 'kept', 'committed (relayed only once committed)');
    writer.destroy();
    witness.destroy();
    await stopServer(server);

    const storage = createSqliteStorage({ dataDir: server.dataDir });
    await storage.log.append(Object.values(CRASHERS).map((update) => ({ docId: id as DocId, update })));
    await storage.close();

    const restarted = await start(server.dataDir);
    const reader = open(restarted, id, ownerKey);
    await waitFor(() => reader.text.toString() === 'kept', 'the rest of the document');
    reader.text.insert(4, ' and more');
    await waitFor(() => reader.provider.synced, 'still syncing');
    expect(await metric(restarted.url, 'tandem_stored_entries_skipped_total')).toBeGreaterThanOrEqual(1);
    const other = open(restarted, id, ownerKey);
    await waitFor(() => other.text.toString() === 'kept and more', 'edits after the skip');
  });
});

/** Flips, inserts, deletes or truncates bytes of a valid update. */
function mutate(gen: prng.PRNG, update: Uint8Array): Uint8Array {
  const bytes = [...update];
  const edits = prng.uint32(gen, 1, 3);
  for (let i = 0; i < edits && bytes.length > 0; i++) {
    const at = prng.uint32(gen, 0, bytes.length - 1);
    switch (prng.uint32(gen, 0, 4)) {
      case 0:
        bytes[at] = prng.uint32(gen, 0, 255);
        break;
      case 1:
        bytes[at]! ^= 1 << prng.uint32(gen, 0, 7);
        break;
      case 2:
        bytes.splice(at, 0, prng.uint32(gen, 0, 255));
        break;
      case 3:
        bytes.splice(at, 1);
        break;
      default:
        bytes.length = at;
    }
  }
  return new Uint8Array(bytes);
}

/** Valid updates of every kind the editor makes: text, XML elements with attributes, maps, deletions. */
function validUpdates(gen: prng.PRNG, count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  for (let i = 0; i < count; i++) {
    const text = doc.getText('t');
    const xml = doc.getXmlFragment('default');
    switch (prng.uint32(gen, 0, 4)) {
      case 0:
        text.insert(prng.uint32(gen, 0, text.length), prng.word(gen, 1, 5), prng.bool(gen) ? { bold: true } : undefined);
        break;
      case 1:
        if (text.length > 0) text.delete(prng.uint32(gen, 0, text.length - 1), 1);
        break;
      case 2: {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.setAttribute('level', String(prng.uint32(gen, 1, 3)));
        paragraph.insert(0, [new Y.XmlText(prng.word(gen, 1, 5))]);
        xml.insert(prng.uint32(gen, 0, xml.length), [paragraph]);
        break;
      }
      case 3:
        if (xml.length > 0) xml.delete(prng.uint32(gen, 0, xml.length - 1), 1);
        break;
      default:
        doc.getMap('m').set(prng.word(gen, 1, 2), prng.bool(gen) ? prng.word(gen, 0, 4) : new Y.Map());
    }
  }
  return updates;
}

/** Rounds per run; `FUZZ_ROUNDS=20000 npx vitest run tests/integration/hardening.test.ts` for a longer hunt. */
const FUZZ_ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 400);

describe('a seeded fuzzer sending mutated updates through an edit key (rule D5)', () => {
  it('finds nothing that takes the server down or makes a replica differ from a cold load', async () => {
    const { seed, gen } = seededRandom('update mutation fuzzer');
    const server = await start();
    const { id, ownerKey } = await createDoc(server.url);
    const honest = open(server, id, ownerKey);
    await waitFor(() => honest.provider.synced, 'honest client synced');
    const valid = validUpdates(gen, 60);
    const outcomes = { refused: 0, accepted: 0 };
    for (let round = 0; round < FUZZ_ROUNDS; round++) {
      const base = prng.oneOf(gen, valid);
      const mutated = mutate(gen, base);
      const code = await sendUpdate(server, id, ownerKey, mutated);
      if (code === null) outcomes.accepted++;
      else {
        expect(code, `seed ${seed}, round ${round}: ${Buffer.from(mutated).toString('hex')}`).toBe(4400);
        outcomes.refused++;
      }
      if (round % 10 === 0) honest.text.insert(0, `${round};`);
    }
    // Both outcomes happened, or the fuzzer is not exercising anything.
    expect(outcomes.refused, `seed ${seed}`).toBeGreaterThan(0);
    expect(outcomes.accepted, `seed ${seed}`).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    const late = open(server, id, ownerKey);
    await waitFor(() => late.provider.synced && late.text.toString() === honest.text.toString(), `seed ${seed}: a late joiner converges`, 10_000);
    const live = Y.encodeStateAsUpdate(late.doc);
    late.destroy();
    honest.destroy();
    await stopServer(server);

    const restarted = await start(server.dataDir);
    const cold = open(restarted, id, ownerKey);
    await waitFor(() => cold.provider.synced, `seed ${seed}: cold load`);
    const expected = new Y.Doc();
    Y.applyUpdate(expected, live);
    expect(cold.text.toString(), `seed ${seed}`).toBe(expected.getText('t').toString());
    expect(cold.doc.getXmlFragment('default').toString(), `seed ${seed}`).toBe(expected.getXmlFragment('default').toString());
    expect(Y.encodeStateVector(cold.doc), `seed ${seed}`).toEqual(Y.encodeStateVector(expected));
  }, Math.max(60_000, FUZZ_ROUNDS * 50));
});

describe('an edit that arrives before what it builds on (rule D9)', () => {
  it('waits for the missing content instead of closing the client', async () => {
    const server = await start();
    const { id, ownerKey } = await createDoc(server.url);
    const author = new Y.Doc();
    const updates: Uint8Array[] = [];
    author.on('update', (u: Uint8Array) => updates.push(u));
    author.getText('t').insert(0, 'first');
    author.getText('t').insert(5, ' second');
    const socket = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    clients.push({ destroy: () => socket.ws.terminate() } as Client);
    await socket.opened;
    socket.send(updateFrame(updates[1]!)); // depends on the first, which the server has not seen
    const reader = open(server, id, ownerKey);
    await waitFor(() => reader.provider.synced, 'reader synced');
    expect(reader.text.toString()).toBe('');
    socket.send(updateFrame(updates[0]!));
    await waitFor(() => reader.text.toString() === 'first second', 'both updates, in order');
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
  });
});
