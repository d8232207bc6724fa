import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IndexeddbPersistence } from 'y-indexeddb';
import * as Y from 'yjs';
import { deferLocalWrites, ONLINE_WRITE_INTERVAL_MS } from '../../app/_lib/deferred-local-writes';
import { applyQuietly } from '../../app/_lib/quiet-apply';

/** A Y.Doc with y-indexeddb's store listener stood in for by a recorder. */
function setup(connected: { now: boolean }) {
  const ydoc = new Y.Doc();
  const stored: Uint8Array[] = [];
  const store = (update: Uint8Array) => void stored.push(update);
  ydoc.on('update', store);
  const local = { _storeUpdate: store } as unknown as IndexeddbPersistence;
  const writes = deferLocalWrites(local, ydoc, () => connected.now);
  const text = ydoc.getText('t');
  /** What the stored updates hold, applied to a fresh document (after `base`, if given). */
  const storedText = (base?: Uint8Array) => {
    const copy = new Y.Doc();
    if (base) Y.applyUpdate(copy, base);
    for (const update of stored) Y.applyUpdate(copy, update);
    return copy.getText('t').toString();
  };
  return { local, ydoc, stored, text, writes, storedText };
}

describe('deferLocalWrites', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('stores the whole document when asked to, in place of what was queued, on the same schedule', () => {
    const { ydoc, text, stored, storedText, writes } = setup({ now: true });
    text.insert(0, 'queued ');
    // Content applied without an update event (the first sync), which the queue never saw.
    const server = new Y.Doc();
    server.getText('t').insert(0, 'from the server');
    applyQuietly(ydoc, () => Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(server)));
    writes.storeWhole();
    vi.advanceTimersByTime(ONLINE_WRITE_INTERVAL_MS - 1);
    expect(stored).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stored).toHaveLength(1);
    expect(storedText()).toBe(text.toString());
    expect(storedText()).toContain('from the server');
    expect(storedText()).toContain('queued ');
  });

  it('stores at most once a second while connected, every change merged into one write', () => {
    const { text, stored, storedText } = setup({ now: true });
    text.insert(0, 'a');
    text.insert(1, 'b');
    vi.advanceTimersByTime(ONLINE_WRITE_INTERVAL_MS - 1);
    expect(stored).toHaveLength(0);
    text.insert(2, 'c');
    vi.advanceTimersByTime(1);
    expect(stored).toHaveLength(1);
    expect(storedText()).toBe('abc');
  });

  it('stores right after the current task while not connected, and at once when the connection goes', () => {
    const connected = { now: false };
    const { text, stored, storedText } = setup(connected);
    text.insert(0, 'a');
    expect(stored).toHaveLength(0);
    vi.advanceTimersByTime(0);
    expect(stored).toHaveLength(1);

    connected.now = true;
    text.insert(1, 'b');
    vi.advanceTimersByTime(10);
    expect(stored).toHaveLength(1);
    // A change made while disconnected brings the queue's write forward.
    connected.now = false;
    text.insert(2, 'c');
    vi.advanceTimersByTime(0);
    expect(stored).toHaveLength(2);
    expect(storedText()).toBe('abc');
  });

  it('flushes on demand and on stop, and skips what y-indexeddb loaded itself', () => {
    const { local, ydoc, text, stored, writes, storedText } = setup({ now: true });
    const other = new Y.Doc();
    other.getText('t').insert(0, 'loaded ');
    const loaded = Y.encodeStateAsUpdate(other);
    Y.applyUpdate(ydoc, loaded, local);
    text.insert(text.length, 'x');
    writes.flush();
    expect(stored).toHaveLength(1);
    text.insert(text.length, 'y');
    writes.stop();
    expect(stored).toHaveLength(2);
    text.insert(text.length, 'z');
    vi.runAllTimers();
    expect(stored).toHaveLength(2);
    expect(storedText(loaded)).toBe('loaded xy');
  });
});
