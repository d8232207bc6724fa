import { randomBytes } from 'node:crypto';
import type * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { TITLE_FIELD } from '../../lib/protocol';
import { diffToSplice } from '../../lib/text-diff';
import { replaceContent } from '../content/edit';
import { readDocumentContent, type DocumentContent } from '../content/render';
import type { Logger } from '../logger';
import type { Scheduler } from '../scheduler';
import type { VersionRecord, VersionStore } from '../storage/version-store';
import { versionsToThin, type RetentionPolicy } from './retention';
import { encodeVersionContent, versionDoc } from './version-content';

/** What Versions needs of the rooms: the committed state, and a way to change the live document. */
export interface VersionRooms {
  readCommitted(docId: DocId): Promise<Uint8Array>;
  change(docId: DocId, change: (doc: Y.Doc) => void): Promise<boolean>;
  claimAuthors(docId: DocId): string[];
}

export interface VersionsOptions {
  readonly store: VersionStore;
  readonly rooms: VersionRooms;
  /** Whether the document still exists: an automatic version of a deleted one is not taken. */
  readonly exists: (docId: DocId) => Promise<boolean>;
  readonly scheduler: Scheduler;
  readonly retention: RetentionPolicy;
  readonly logger: Logger;
}

/** 96 random bits, URL-safe. */
function newVersionId(): string {
  return randomBytes(12).toString('base64url');
}

/** Makes a Y.Text equal `wanted` by one splice, so concurrent typing around it is kept. */
function replaceText(text: Y.Text, wanted: string): void {
  const splice = diffToSplice(text.toString(), wanted);
  if (!splice) return;
  if (splice.deleteCount > 0) text.delete(splice.index, splice.deleteCount);
  if (splice.insert !== '') text.insert(splice.index, splice.insert);
}

/**
 * Taking, reading and restoring versions of documents (docs/VERSIONS.md). Every version holds
 * the whole committed state, so reading one never needs another; automatic ones are thinned by
 * the retention policy after each automatic take.
 */
export class Versions {
  constructor(private readonly options: VersionsOptions) {}

  /**
   * Stores the document's committed state as a version. A named one (and one taken before a
   * restore) also claims the authors of the changes it covers; an automatic one is given them.
   */
  async take(docId: DocId, name: string | null, authors?: readonly string[]): Promise<VersionRecord | null> {
    const { store, rooms, scheduler, retention, logger } = this.options;
    if (name === null && !(await this.options.exists(docId))) return null;
    const claimed = authors ?? rooms.claimAuthors(docId);
    const state = await rooms.readCommitted(docId);
    const record: VersionRecord = { id: newVersionId(), docId, createdAt: new Date(scheduler.now()), name, authors: [...new Set(claimed)].sort() };
    await store.add(record, encodeVersionContent(state));
    if (name === null) {
      const thinned = versionsToThin(await store.list(docId), scheduler.now(), retention);
      if (thinned.length > 0) await store.remove(docId, thinned);
    }
    logger.debug({ docId, versionId: record.id, named: name !== null }, 'version taken');
    return record;
  }

  list(docId: DocId): Promise<VersionRecord[]> {
    return this.options.store.list(docId);
  }

  /** A version's record and content (title and ProseMirror document); null if unknown. */
  async read(docId: DocId, versionId: string): Promise<{ record: VersionRecord; content: DocumentContent } | null> {
    const stored = await this.options.store.read(docId, versionId);
    if (!stored) return null;
    const doc = versionDoc(stored.content);
    try {
      return { record: stored.record, content: readDocumentContent(doc) };
    } finally {
      doc.destroy();
    }
  }

  /**
   * Makes the live document equal the version (content and title) as one new change that every
   * connected person receives, after keeping the state before it as a named version (rule V6).
   * The edit is the smallest one updateYFragment finds, so what people type meanwhile lands on
   * top. Comment threads are left as they are. Returns the version holding the state before, or
   * null if there is no such version.
   */
  async restore(docId: DocId, versionId: string): Promise<VersionRecord | null> {
    const target = await this.read(docId, versionId);
    if (!target) return null;
    const label = target.record.name ?? target.record.createdAt.toISOString();
    const before = await this.take(docId, `Before restoring “${label}”`.slice(0, 200));
    if (!before) return null;
    await this.options.rooms.change(docId, (doc) => {
      replaceContent(doc, target.content.doc);
      replaceText(doc.getText(TITLE_FIELD), target.content.title);
    });
    return before;
  }
}
