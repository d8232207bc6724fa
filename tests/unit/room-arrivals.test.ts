import * as encoding from 'lib0/encoding';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { CloseCode } from '../../lib/protocol';
import { createMetrics } from '../../server/metrics';
import { Committer, type PendingUpdate } from '../../server/rooms/committer';
import type { Peer } from '../../server/rooms/peer';
import { DEFAULT_PRESENCE_LIMITS } from '../../server/rooms/presence';
import { MAX_WAITING_BYTES_PER_PEER, Room } from '../../server/rooms/room';
import { createNodeScheduler } from '../../server/scheduler';
import { EMPTY_STORED_DOC } from '../../server/storage/doc-log';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import type { Storage } from '../../server/storage/storage';
import { tempDir } from '../helpers/tandem';
import { waitFor } from '../helpers/wait';

const logger = pino({ level: 'silent' });
const DOC = 'doc' as DocId;
const opened: Storage[] = [];
afterEach(async () => {
  for (const storage of opened.splice(0)) await storage.close();
});

interface FakePeer extends Peer {
  readonly closes: Array<{ code: number; reason: string }>;
}

function fakePeer(): FakePeer {
  const closes: Array<{ code: number; reason: string }> = [];
  return { role: 'edit', linkId: null, wantsSavedAcks: true, closes, send() {}, close: (code, reason) => void closes.push({ code, reason }) };
}

/**
 * A room on the server's own Committer and a SQLite log in a temporary directory, wired as the
 * registry wires them: what the committer commits goes back to the room. `committed` lists what
 * was committed, in commit order; the document's transactions are counted.
 */
function roomForTest() {
  const storage = createSqliteStorage({ dataDir: tempDir() });
  opened.push(storage);
  const committed: PendingUpdate[] = [];
  const scheduler = createNodeScheduler(logger);
  const metrics = createMetrics();
  let room: Room | undefined;
  const committer = new Committer({
    log: storage.log,
    scheduler,
    logger,
    metrics,
    onCommitted: (_docId, updates) => {
      committed.push(...updates);
      room!.committed(updates);
    },
  });
  const counts = { transactions: 0 };
  const built: { doc: Y.Doc | null } = { doc: null };
  room = new Room(DOC, EMPTY_STORED_DOC, null, {
    committer,
    bus: { publish() {} } as never,
    logger,
    metrics,
    scheduler,
    presenceLimits: DEFAULT_PRESENCE_LIMITS,
    maxHeldBytes: 1024 * 1024,
    beforeNextFlush: (task) => scheduler.soon(task),
    readStateVector: async (snapshot) => Y.encodeStateVectorFromUpdate(snapshot),
    reload: (docId) => storage.log.load(docId),
    onBuilt: (_docId, doc) => {
      built.doc = doc;
      doc.on('afterTransaction', () => counts.transactions++);
    },
    onSettled() {},
  });
  /**
   * Waits until `count` updates are committed and nothing more is queued, then checks that the
   * SQLite log holds exactly those, one entry each, in that order.
   */
  const settled = async (count: number): Promise<PendingUpdate[]> => {
    await waitFor(() => committed.length >= count, `${count} updates to be committed`);
    await afterThisTurn();
    await committer.drain();
    const stored = await storage.log.load(DOC);
    // SQLite gives Buffers back: compared as plain bytes.
    const bytes = (update: Uint8Array) => [...update];
    expect(stored.updates.map(bytes)).toEqual(committed.map((p) => bytes(p.update)));
    return committed;
  };
  return { room, counts, built, settled };
}

/** Updates of one client typing `text`: one per character of a string, or per piece of an array. */
function typing(clientID: number, text: Iterable<string>): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const piece of text) doc.getText('t').insert(doc.getText('t').length, piece);
  return updates;
}

/**
 * One character whose left neighbour is itself: it decodes, and no dependency is missing, but
 * Yjs throws while integrating it.
 */
function selfReferencingUpdate(clientID: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1); // clients
  encoding.writeVarUint(encoder, 1); // structs of this client
  encoding.writeVarUint(encoder, clientID);
  encoding.writeVarUint(encoder, 0); // clock
  encoding.writeUint8(encoder, 0x80 | 4); // has an origin; string content
  encoding.writeVarUint(encoder, clientID);
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarString(encoder, 'x');
  encoding.writeVarUint(encoder, 0); // delete set
  return encoding.toUint8Array(encoder);
}

/** Hands over `updates` in one synchronous loop, as `ws` does with the frames of one socket read. */
function oneRead(room: Room, updates: ReadonlyArray<readonly [Peer, Uint8Array]>): void {
  for (const [peer, update] of updates) room.receive(peer, { kind: 'update', update }, 0);
}

function afterThisTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('Room: the updates of one socket read', () => {
  it('are integrated in order, each queued for commit on its own, with its own changedNothing', async () => {
    const { room, settled } = roomForTest();
    const writer = fakePeer();
    room.join(writer);
    const [a, b, c] = typing(1, 'abc');
    oneRead(room, [
      [writer, a!],
      [writer, b!],
      [writer, a!],
      [writer, c!],
    ]);
    const committed = await settled(4);
    expect(committed.map((p) => p.update)).toEqual([a, b, a, c]);
    // Sent again, `a` changed nothing the second time: no version authorship for it.
    expect(committed.map((p) => p.changedNothing)).toEqual([false, false, true, false]);
    expect(writer.closes).toEqual([]);
  });

  it("are integrated in order however many, a writer's typing a few dozen characters at a time", async () => {
    const { room, settled, counts } = roomForTest();
    const writer = fakePeer();
    room.join(writer);
    const updates = typing(1, 'x'.repeat(500));
    oneRead(
      room,
      updates.map((update) => [writer, update] as const),
    );
    const committed = await settled(updates.length);
    expect(committed.map((p) => p.update)).toEqual(updates);
    expect(counts.transactions).toBeGreaterThan(1);
    expect(counts.transactions).toBeLessThan(updates.length / 10);
  });

  it('wait for what an earlier one of the same read provides (rule D9)', async () => {
    const { room, settled } = roomForTest();
    const writer = fakePeer();
    room.join(writer);
    const [a, b] = typing(1, 'ab');
    oneRead(room, [
      [writer, b!],
      [writer, a!],
    ]);
    const committed = await settled(2);
    expect(committed.map((p) => p.update)).toEqual([a, b]);
    expect(writer.closes).toEqual([]);
  });

  it.each([
    ['throws while integrating', selfReferencingUpdate(2)],
    // A zero-length deleted item in map `m`: Yjs throws only as the transaction ends (tests/integration/hardening.test.ts).
    ['throws as its transaction ends', new Uint8Array(Buffer.from('0101b803002101016d01610000', 'hex'))],
  ])('one that %s closes only its sender: nothing of it or after it from that sender is queued, the others are', async (_name, broken) => {
    const { room, settled } = roomForTest();
    const good = fakePeer();
    const bad = fakePeer();
    room.join(good);
    room.join(bad);
    const [a, b] = typing(1, 'ab');
    const [later] = typing(3, 'z');
    oneRead(room, [
      [good, a!],
      [bad, broken],
      [good, b!],
      [bad, later!],
    ]);
    // The failed update made the room rebuild its document; what came after it waits for that.
    const committed = await settled(2);
    expect(bad.closes).toEqual([{ code: CloseCode.BadRequest, reason: 'Yjs update does not apply to this document' }]);
    expect(good.closes).toEqual([]);
    expect(committed.map((p) => [p.origin, p.update])).toEqual([
      [good, a],
      [good, b],
    ]);
  });

  it('from a sender closed on the way are not integrated after the one that closed it', async () => {
    const { room, settled } = roomForTest();
    const good = fakePeer();
    const greedy = fakePeer();
    room.join(good);
    room.join(greedy);
    // Sent without the edit before it, it would wait for it, but it is more than may wait (rule D9): closed.
    const huge = typing(2, ['q', 'w'.repeat(MAX_WAITING_BYTES_PER_PEER)])[1];
    const [a] = typing(1, 'a');
    const [independent] = typing(3, 'z');
    oneRead(room, [
      [greedy, huge!],
      [good, a!],
      [greedy, independent!],
    ]);
    const committed = await settled(1);
    expect(greedy.closes.map((c) => c.code)).toEqual([CloseCode.TryAgainLater]);
    expect(committed.map((p) => [p.origin, p.update])).toEqual([[good, a]]);
  });

  it("from one writer typing are integrated by Yjs as one insertion, and each committed as it came", async () => {
    const { room, settled, built } = roomForTest();
    const writer = fakePeer();
    room.join(writer);
    const typist = new Y.Doc();
    typist.clientID = 1;
    const updates: Uint8Array[] = [];
    typist.on('update', (update: Uint8Array) => updates.push(update));
    typist.getText('t').insert(0, 'end');
    for (const [i, char] of [...'typed '].entries()) typist.getText('t').insert(i, char);
    const [first, ...typed] = updates;
    oneRead(room, [[writer, first!]]);
    await afterThisTurn();
    // Counted before Yjs tidies the transaction, which merges neighbouring characters anyway.
    const structsSeen: number[] = [];
    built.doc!.on('beforeObserverCalls', () => structsSeen.push(built.doc!.store.clients.get(1)!.length));
    oneRead(
      room,
      typed.map((update) => [writer, update] as const),
    );
    const committed = await settled(updates.length);
    expect(structsSeen).toEqual([2]);
    expect(built.doc!.getText('t').toString()).toBe('typed end');
    expect(Y.encodeStateAsUpdate(built.doc!)).toEqual(Y.encodeStateAsUpdate(typist));
    expect(committed.map((p) => p.update)).toEqual(updates);
    expect(committed.map((p) => p.changedNothing)).toEqual(updates.map(() => false));
  });

  const SEED = 99;
  it(`of writers typing, deleting and resending at random (seed ${SEED}) end in the same document, and the same changedNothing, as one at a time`, async () => {
    let seed = SEED;
    const random = (below: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % below;
    };
    for (let round = 0; round < 20; round++) {
      const { room, settled, built } = roomForTest();
      const writers = [1, 2, 3].map((clientID) => {
        const doc = new Y.Doc();
        doc.clientID = clientID;
        const sent: Uint8Array[] = [];
        doc.on('update', (update: Uint8Array) => sent.push(update));
        const peer = fakePeer();
        room.join(peer);
        return { doc, peer, sent };
      });
      // Each writer sometimes catches up with the others, so their edits overlap.
      const delivered: Array<[Peer, Uint8Array]> = [];
      for (let op = 0; op < 150; op++) {
        const writer = writers[random(writers.length)]!;
        const text = writer.doc.getText('t');
        const choice = random(10);
        if (choice === 0) {
          for (const other of writers) if (other !== writer) Y.applyUpdate(writer.doc, Y.encodeStateAsUpdate(other.doc), 'sync');
          writer.sent.length = 0;
        } else if (choice === 1 && text.length > 0) {
          const at = random(text.length);
          text.delete(at, 1 + random(Math.min(3, text.length - at)));
        } else if (choice === 2 && delivered.length > 0) {
          delivered.push(delivered[random(delivered.length)]!);
        } else {
          const at = random(text.length + 1);
          for (let i = 0; i < 1 + random(5); i++) text.insert(at + i, String.fromCharCode(97 + random(26)));
        }
        for (const update of writer.sent.splice(0)) delivered.push([writer.peer, update]);
      }
      const reference = new Y.Doc();
      const referenceChanged: boolean[] = [];
      for (const [, update] of delivered) {
        let changed = false;
        const mark = () => (changed = true);
        reference.on('update', mark);
        Y.applyUpdate(reference, update);
        reference.off('update', mark);
        referenceChanged.push(changed);
      }
      for (let at = 0; at < delivered.length; ) {
        const read = delivered.slice(at, at + 1 + random(40));
        at += read.length;
        oneRead(room, read);
        await afterThisTurn();
      }
      const committed = await settled(delivered.length);
      expect(writers.map((w) => w.peer.closes)).toEqual([[], [], []]);
      expect(committed.map((p) => p.update)).toEqual(delivered.map(([, update]) => update));
      expect(committed.map((p) => !p.changedNothing)).toEqual(referenceChanged);
      expect(built.doc!.getText('t').toString()).toBe(reference.getText('t').toString());
      expect(Y.encodeStateAsUpdate(built.doc!)).toEqual(Y.encodeStateAsUpdate(reference));
    }
  });
});
