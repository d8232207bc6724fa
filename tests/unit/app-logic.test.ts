/** The web app's pure decisions: what the status says, how the title merges, which links are safe. */
import { describe, expect, it } from 'vitest';
import { connectionStatus, type ConnectionFacts } from '../../app/_lib/connection-status';
import { docIdFromPath, documentLink, readKeyFromHash } from '../../app/_lib/key-fragment';
import { refusalFromClose } from '../../app/_lib/refusal';
import { normalizeHref } from '../../app/_lib/safe-href';
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
