import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { buildDoc } from '../../server/rooms/build-doc';
import { DocFolder } from '../../server/rooms/doc-folder';
import type { DocLog, StoredDoc } from '../../server/storage/doc-log';
import * as prng from 'lib0/prng';
import { seededRandom } from '../helpers/seed';
import { tempDir } from '../helpers/tandem';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import { parseDocId } from '../../lib/doc-id';

/** A stored document of `count` one-character updates at seeded places, after a snapshot of the first tenth. */
function storedDoc(count: number, label: string): StoredDoc {
  const { gen } = seededRandom(label);
  const random = () => prng.real53(gen);
  const doc = new Y.Doc();
  const text = doc.getText('t');
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++) text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + (i % 26)));
  const head = Math.floor(count / 10);
  const snapshotDoc = new Y.Doc();
  for (const update of updates.slice(0, head)) Y.applyUpdate(snapshotDoc, update);
  return { snapshot: Y.encodeStateAsUpdate(snapshotDoc), updates: updates.slice(head), throughSeq: count };
}

/** Each thread of this process (Linux), by id: its name and nice value, from /proc/self/task. */
function threads(): Map<string, { name: string; nice: number }> {
  const all = new Map<string, { name: string; nice: number }>();
  for (const id of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
      // Fields after the parenthesised name; nice is field 19 of stat, the 17th after the name.
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(id, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(afterName[16]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return all;
}

const textOf = (stored: StoredDoc) => buildDoc(stored, () => {}).getText('t').toString();

describe('folding long logs in a worker thread', () => {
  it('gives the document buildDoc gives, as one snapshot, through the same sequence number', async () => {
    const stored = storedDoc(3_000, 'doc-folder');
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      const folded = await folder.fold(stored);
      expect(folded.stored.updates).toEqual([]);
      expect(folded.stored.throughSeq).toBe(stored.throughSeq);
      expect(folded.bad).toEqual([]);
      expect(textOf(folded.stored)).toBe(textOf(stored));
    } finally {
      await folder.close();
    }
  });

  it('leaves short logs as they are, without a worker', async () => {
    const stored = storedDoc(50, 'doc-folder-short');
    const folder = new DocFolder({ minUpdates: 1_000 });
    expect((await folder.fold(stored)).stored).toBe(stored);
    await folder.close();
  });

  it('skips and reports an entry that does not integrate, like buildDoc (rule D6)', async () => {
    const stored = storedDoc(1_500, 'doc-folder-bad');
    // A zero-length deleted map item: decodes, then throws from the end of Yjs's transaction.
    const bad = Uint8Array.from(Buffer.from('0101b803002101016d01610000', 'hex'));
    const withBad: StoredDoc = { ...stored, updates: [...stored.updates.slice(0, 700), bad, ...stored.updates.slice(700)] };
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      const folded = await folder.fold(withBad);
      expect(folded.bad.map((b) => b.index)).toEqual([700]);
      expect(textOf(folded.stored)).toBe(textOf(stored));
    } finally {
      await folder.close();
    }
  });

  it('reads the state vector of a big snapshot in the worker, as Yjs reads it from a built document', async () => {
    const stored = storedDoc(12_000, 'doc-folder-state-vector');
    const doc = buildDoc(stored, () => {});
    const snapshot = Y.encodeStateAsUpdate(doc);
    expect(snapshot.length).toBeGreaterThan(64 * 1024);
    const folder = new DocFolder();
    try {
      expect(await folder.readStateVector(snapshot)).toEqual(Y.encodeStateVector(doc));
      await expect(folder.readStateVector(snapshot.subarray(0, snapshot.length / 2))).rejects.toThrow();
    } finally {
      await folder.close();
    }
  });

  it('leaves the caller its bytes: a snapshot handed out as a Buffer (as SQLite does) is copied, not detached, when sent to the worker', async () => {
    const stored = storedDoc(12_000, 'doc-folder-buffer');
    const bytes = Y.encodeStateAsUpdate(buildDoc(stored, () => {}));
    // A Buffer's slice() aliases its memory; sending an alias would detach the room's snapshot.
    const snapshot = Buffer.from(bytes);
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      await folder.readStateVector(snapshot);
      await folder.fold({ ...stored, snapshot });
      expect(snapshot.length).toBe(bytes.length);
      expect(Buffer.compare(snapshot, bytes)).toBe(0);
    } finally {
      await folder.close();
    }
  });

  it.runIf(process.platform === 'linux')('runs the whole worker at the lowest CPU priority, from its boot on (its loader thread too)', async () => {
    const before = threads();
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      const stored = storedDoc(1_200, 'doc-folder-priority');
      await folder.fold(stored);
      // The threads the worker brought: its own and tsx's module loader, which registers in it.
      // V8's and libuv's pool threads are shared by the process and were started at its nice.
      const added = [...threads()].filter(([id, { name }]) => !before.has(id) && !/libuv|V8|DelayedTask/.test(name));
      expect(added.length, `new threads: ${JSON.stringify(added)}`).toBeGreaterThanOrEqual(2);
      for (const [id, thread] of added) expect(thread.nice, `thread ${id} (${thread.name})`).toBe(19);
      expect(threads().get(String(process.pid))?.nice, 'the main thread keeps its priority').toBe(before.get(String(process.pid))?.nice);
    } finally {
      await folder.close();
    }
  });

  it('has the worker read a long SQLite log from the file itself, and reads a short one here', async () => {
    const storage = createSqliteStorage({ dataDir: tempDir() });
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      const long = parseDocId('aaaaaaaaaaaaaaaaaaaaaa');
      const short = parseDocId('bbbbbbbbbbbbbbbbbbbbbb');
      const longDoc = storedDoc(1_200, 'doc-folder-file-long');
      const shortDoc = storedDoc(300, 'doc-folder-file-short');
      await storage.log.append([longDoc, shortDoc].flatMap((stored, i) => [stored.snapshot!, ...stored.updates].map((update) => ({ docId: i === 0 ? long : short, update }))));
      let readHere = 0;
      const log: DocLog = { ...storage.log, load: (docId) => (readHere++, storage.log.load(docId)) };
      const fromFile = await folder.load(long, log);
      expect(readHere).toBe(0);
      expect(fromFile.stored.updates).toEqual([]);
      expect(textOf(fromFile.stored)).toBe(textOf(longDoc));
      expect(fromFile.stateVector).toEqual(Y.encodeStateVector(buildDoc(longDoc, () => {})));
      const here = await folder.load(short, log);
      expect(readHere).toBe(1);
      expect(textOf(here.stored)).toBe(textOf(shortDoc));
    } finally {
      await folder.close();
      await storage.close();
    }
  });
});
