/** The web app's pure decisions: what the status says, how the title merges, which links are safe. */
import { describe, expect, it } from 'vitest';
import { connectionStatus, type ConnectionFacts } from '../../app/_lib/connection-status';
import { readAccess } from '../../app/_lib/document-api';
import { docIdFromPath, documentLink, readKeyFromHash } from '../../app/_lib/key-fragment';
import { refusalFromClose } from '../../app/_lib/refusal';
import { rovingTarget } from '../../app/_lib/roving-focus';
import { normalizeHref } from '../../app/_lib/safe-href';
import { FIRST_ANNOUNCEMENT, nextAnnouncement, type AnnouncedStatus, type Announcement } from '../../app/_lib/status-announcement';
import { diffToSplice } from '../../lib/text-diff';

const base: ConnectionFacts = { browserOnline: true, socket: 'connecting', synced: false, everSynced: false, failures: 0 };

describe('connectionStatus', () => {
  it('is connecting on the first attempt and connected only once synced', () => {
    expect(connectionStatus(base)).toBe('connecting');
    expect(connectionStatus({ ...base, socket: 'connected' })).toBe('connecting');
    expect(connectionStatus({ ...base, socket: 'connected', synced: true, everSynced: true })).toBe('connected');
  });
  it('is reconnecting after a drop or a failed attempt, offline without a network', () => {
    expect(connectionStatus({ ...base, socket: 'disconnected', everSynced: true })).toBe('reconnecting');
    expect(connectionStatus({ ...base, failures: 1 })).toBe('reconnecting');
    expect(connectionStatus({ ...base, browserOnline: false, socket: 'connected', synced: true })).toBe('offline');
  });
});

describe('nextAnnouncement (rule E2)', () => {
  /** Feeds statuses in order and returns the texts a screen reader would hear (changes only). */
  function heard(statuses: AnnouncedStatus[]): string[] {
    let last: Announcement = FIRST_ANNOUNCEMENT;
    const spoken: string[] = [];
    for (const status of statuses) {
      const next = nextAnnouncement(last, status);
      if (next.text !== last.text) spoken.push(next.text);
      last = next;
    }
    return spoken;
  }
  const connected = (pending: number): AnnouncedStatus => ({ connection: 'connected', pending, acknowledged: true });

  it('stays silent while someone types on a live connection', () => {
    expect(heard([connected(0), connected(1), connected(2), connected(0), connected(1), connected(0)])).toEqual(['Connected']);
  });
  it('says when changes wait offline, and when they are saved after reconnecting', () => {
    const offline = (pending: number): AnnouncedStatus => ({ connection: 'offline', pending, acknowledged: true });
    const reconnecting: AnnouncedStatus = { connection: 'reconnecting', pending: 3, acknowledged: true };
    expect(heard([connected(0), offline(0), offline(1), offline(2), offline(3), reconnecting, connected(3), connected(0), connected(1)])).toEqual([
      'Connected',
      'Offline',
      'Offline, changes waiting',
      'Reconnecting…, changes waiting',
      'Connected, saving',
      'Connected, all changes saved',
    ]);
  });
});

describe('rovingTarget (rule E3)', () => {
  it('moves with the arrows, wraps at the ends, jumps with Home and End, ignores other keys', () => {
    expect(rovingTarget('ArrowRight', 0, 3)).toBe(1);
    expect(rovingTarget('ArrowRight', 2, 3)).toBe(0);
    expect(rovingTarget('ArrowLeft', 0, 3)).toBe(2);
    expect(rovingTarget('Home', 2, 3)).toBe(0);
    expect(rovingTarget('End', 0, 3)).toBe(2);
    expect(rovingTarget('Tab', 0, 3)).toBeNull();
    expect(rovingTarget('ArrowRight', 0, 0)).toBeNull();
  });
});

describe('diffToSplice', () => {
  it('finds the one changed range', () => {
    expect(diffToSplice('abc', 'abc')).toBeNull();
    expect(diffToSplice('Trip', 'Trip to sea')).toEqual({ index: 4, deleteCount: 0, insert: ' to sea' });
    expect(diffToSplice('a long title', 'a title')).toEqual({ index: 2, deleteCount: 5, insert: '' });
    expect(diffToSplice('aaa', 'aa')).toEqual({ index: 2, deleteCount: 1, insert: '' });
    expect(diffToSplice('cat', 'cut')).toEqual({ index: 1, deleteCount: 1, insert: 'u' });
  });
});

describe('key fragment', () => {
  it('reads the key from the fragment and builds links with it', () => {
    expect(readKeyFromHash('#key=abc_123')).toBe('abc_123');
    expect(readKeyFromHash('#other=1')).toBeNull();
    expect(readKeyFromHash('')).toBeNull();
    const link = documentLink('https://docs.example', 'doc-1', 'k1');
    expect(link).toBe('https://docs.example/d/doc-1#key=k1');
    expect(new URL(link).search).toBe('');
    expect(docIdFromPath('/d/doc-1')).toBe('doc-1');
    expect(docIdFromPath('/x/doc-1')).toBeNull();
  });
});

describe('refusalFromClose', () => {
  it('tells revoked from unknown keys', () => {
    expect(refusalFromClose(4403, 'revoked').kind).toBe('revoked');
    expect(refusalFromClose(4401, '').kind).toBe('unauthorized');
    expect(refusalFromClose(4404, '').kind).toBe('not-found');
  });
});

describe('normalizeHref', () => {
  it('keeps web and mail links and refuses scripts', () => {
    expect(normalizeHref('example.com/a')).toBe('https://example.com/a');
    expect(normalizeHref('http://x.test')).toBe('http://x.test/');
    expect(normalizeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(normalizeHref('javascript:alert(1)')).toBeNull();
    expect(normalizeHref('  ')).toBeNull();
  });
});

describe('readAccess', () => {
  it('takes an answer naming a known role', () => {
    for (const role of ['owner', 'edit', 'comment', 'view'] as const) expect(readAccess({ role })).toEqual({ role });
  });
  it('refuses an unknown role, a missing one, or no object at all', () => {
    for (const body of [{ role: 'admin' }, { role: 3 }, {}, null, undefined, 'edit', ['edit']]) expect(readAccess(body)).toBeNull();
  });
});
