import type { DocId } from '../../lib/doc-id';
import type { DocLog, StoredDoc, UpdateEntry } from '../../server/storage/doc-log';
import { DocExistsError, type LinkRecord, type LinkStore } from '../../server/storage/link-store';
import type { Storage } from '../../server/storage/storage';
import type { VersionStore } from '../../server/storage/version-store';

export interface StoredLog {
  snapshot: Uint8Array | null;
  snapshotSeq: number;
  snapshotStateVector: Uint8Array | null;
  entries: Array<{ seq: number; update: Uint8Array }>;
}

/**
 * What a database holds, in memory, with the same semantics as the SQLite and PostgreSQL stores
 * (tests/sim/memory-storage.test.ts runs both contract suites on it). Every operation is
 * synchronous and atomic: the simulation decides when each one happens, so "committed" means
 * exactly "applied here", and a crash keeps exactly what was applied.
 */
export class MemoryDatabase {
  protected readonly logs = new Map<DocId, StoredLog>();
  private readonly docs = new Set<DocId>();
  private readonly links = new Map<string, LinkRecord>();
  /** One sequence for every document, like an autoincrement column: commit order per document. */
  private lastSeq = 0;

  append(entries: readonly UpdateEntry[]): void {
    // All or nothing, like a transaction: check every entry before writing any.
    if (entries.some((e) => !(e.update instanceof Uint8Array))) throw new TypeError('an update entry without bytes');
    for (const { docId, update } of entries) this.logOf(docId).entries.push({ seq: ++this.lastSeq, update: update.slice() });
  }

  load(docId: DocId): StoredDoc {
    const log = this.logs.get(docId);
    if (!log) return { snapshot: null, updates: [], throughSeq: 0, snapshotStateVector: null };
    const last = log.entries.at(-1);
    const snapshotStateVector = log.snapshotStateVector;
    return { snapshot: log.snapshot, updates: log.entries.map((e) => e.update), throughSeq: last ? last.seq : log.snapshotSeq, snapshotStateVector };
  }

  compact(docId: DocId, snapshot: Uint8Array, throughSeq: number, stateVector?: Uint8Array): boolean {
    const log = this.logOf(docId);
    if (log.snapshot !== null && log.snapshotSeq >= throughSeq) return false;
    log.snapshot = snapshot.slice();
    log.snapshotStateVector = stateVector?.slice() ?? null;
    log.snapshotSeq = throughSeq;
    log.entries = log.entries.filter((e) => e.seq > throughSeq);
    return true;
  }

  /** Entries appended after `throughSeq` (a compaction that covers only up to it raced them). */
  entriesAfter(docId: DocId, throughSeq: number): number {
    return this.logs.get(docId)?.entries.filter((e) => e.seq > throughSeq).length ?? 0;
  }

  remove(docId: DocId): void {
    this.logs.delete(docId);
  }

  createDoc(docId: DocId, owner: LinkRecord): void {
    if (this.docs.has(docId)) throw new DocExistsError(docId);
    this.docs.add(docId);
    this.links.set(owner.id, owner);
  }

  deleteDoc(docId: DocId): boolean {
    if (!this.docs.delete(docId)) return false;
    for (const [id, link] of this.links) if (link.docId === docId) this.links.delete(id);
    return true;
  }

  addLink(link: LinkRecord): void {
    if (!this.docs.has(link.docId)) throw new Error(`no document ${link.docId}`);
    this.links.set(link.id, link);
  }

  findLink(docId: DocId, keyHash: string): LinkRecord | null {
    for (const link of this.links.values()) if (link.docId === docId && link.keyHash === keyHash) return link;
    return null;
  }

  listLinks(docId: DocId): LinkRecord[] {
    return [...this.links.values()].filter((link) => link.docId === docId).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  revokeLink(docId: DocId, linkId: string, at: Date): boolean {
    const link = this.links.get(linkId);
    if (!link || link.docId !== docId) return false;
    if (!link.revokedAt) this.links.set(linkId, { ...link, revokedAt: at });
    return true;
  }

  protected logOf(docId: DocId): StoredLog {
    let log = this.logs.get(docId);
    if (!log) this.logs.set(docId, (log = { snapshot: null, snapshotSeq: 0, snapshotStateVector: null, entries: [] }));
    return log;
  }
}

/** The database as a plain `Storage` whose calls complete at once (for the contract suites). */
export function memoryStorage(db: MemoryDatabase): Storage {
  const log: DocLog = {
    append: async (entries) => db.append(entries),
    load: async (docId) => db.load(docId),
    compact: async (docId, snapshot, throughSeq, stateVector) => db.compact(docId, snapshot, throughSeq, stateVector),
    remove: async (docId) => db.remove(docId),
  };
  const links: LinkStore = {
    createDoc: async (docId, owner) => db.createDoc(docId, owner),
    deleteDoc: async (docId) => db.deleteDoc(docId),
    addLink: async (link) => db.addLink(link),
    findLink: async (docId, keyHash) => db.findLink(docId, keyHash),
    listLinks: async (docId) => db.listLinks(docId),
    revokeLink: async (docId, linkId, at) => db.revokeLink(docId, linkId, at),
  };
  // Versions are not simulated yet (the registry runs without automatic versions); nothing calls these.
  const notSimulated = async (): Promise<never> => {
    throw new Error('versions are not simulated');
  };
  const versions: VersionStore = { add: notSimulated, list: notSimulated, read: notSimulated, remove: notSimulated, removeAll: notSimulated };
  return { log, links, versions, ping: async () => {}, close: async () => {} };
}
