import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** Each thread of process `pid` (Linux), by id: its name, nice value and scheduling policy, from /proc. */
function threads(pid: number | 'self'): Map<string, { name: string; nice: number; policy: number }> {
  const all = new Map<string, { name: string; nice: number; policy: number }>();
  for (const id of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${id}/stat`, 'utf8');
      // Fields after the parenthesised name: nice is field 19 of stat, policy field 41.
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(id, { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(afterName[16]), policy: Number(afterName[38]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return all;
}

/** Linux's SCHED_IDLE, as /proc reports a thread's policy. */
const SCHED_IDLE = 5;
const hasChrt = spawnSync('chrt', ['--idle', '0', 'true']).status === 0;

const textOf = (stored: StoredDoc) => buildDoc(stored, () => {}).getText('t').toString();

describe('folding long logs in a process of its own', () => {
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

  it('leaves short logs as they are, without the fold process', async () => {
    const stored = storedDoc(50, 'doc-folder-short');
    const folder = new DocFolder({ minUpdates: 1_000 });
    expect((await folder.fold(stored)).stored).toBe(stored);
    expect(folder.processId).toBeUndefined();
    await folder.close();
  });

  it('a fold process that dies fails the request in flight with a clear error, and the next request starts a new one', async () => {
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      folder.start();
      const first = folder.processId!;
      const stored = storedDoc(1_500, 'doc-folder-dies');
      const inFlight = folder.fold(stored);
      process.kill(first, 'SIGKILL');
      await expect(inFlight).rejects.toThrow(/the fold process exited \(SIGKILL\)/);
      expect(textOf((await folder.fold(stored)).stored)).toBe(textOf(stored));
      expect(folder.processId).not.toBe(first);
    } finally {
      await folder.close();
    }
  });

  it('starts the fold process ahead of the first request when told to, and it answers', async () => {
    const folder = new DocFolder({ minUpdates: 1_000 });
    try {
      folder.start();
      const pid = folder.processId;
      expect(pid).toBeGreaterThan(0);
      const stored = storedDoc(1_500, 'doc-folder-started');
      expect(textOf((await folder.fold(stored)).stored)).toBe(textOf(stored));
      expect(folder.processId, 'the same process answered').toBe(pid);
    } finally {
      await folder.close();
    }
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

  it('reads the state vector of a big snapshot in the fold process, as Yjs reads it from a built document', async () => {
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

  it('leaves the caller its bytes: a snapshot handed out as a Buffer (as SQLite does) is intact after it was sent to the fold process', async () => {
    const stored = storedDoc(12_000, 'doc-folder-buffer');
    const bytes = Y.encodeStateAsUpdate(buildDoc(stored, () => {}));
    // A Buffer's slice() aliases its memory: a transfer (as to a worker thread) would detach the room's snapshot.
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

  it.runIf(process.platform === 'linux')('runs the fold process at the lowest CPU priority, every thread of it (V8\'s helpers too), and ends it after close', async () => {
    const before = threads('self');
    const folder = new DocFolder({ minUpdates: 1_000 });
    let pid: number | undefined;
    try {
      await folder.fold(storedDoc(1_200, 'doc-folder-priority'));
      pid = folder.processId;
      expect(pid).toBeGreaterThan(0);
      const its = [...threads(pid!)];
      // Its main thread, V8's helper threads and libuv's: a process's own, unlike a worker's.
      expect(its.length).toBeGreaterThanOrEqual(4);
      for (const [id, thread] of its) {
        if (hasChrt) expect(thread.policy, `thread ${id} (${thread.name})`).toBe(SCHED_IDLE);
        else expect(thread.nice, `thread ${id} (${thread.name})`).toBe(19);
      }
      for (const [id, thread] of threads('self')) {
        if (before.has(id)) expect(thread, `this process's thread ${id} keeps its priority`).toEqual(before.get(id));
      }
    } finally {
      await folder.close();
    }
    expect(existsSync(`/proc/${pid}`), 'the fold process has exited').toBe(false);
  });

  it('has the fold process read a long SQLite log from the file itself, and reads a short one here', async () => {
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
