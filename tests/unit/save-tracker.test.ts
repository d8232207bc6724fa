import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SaveTracker, covers, mergeStateVectors } from '../../lib/save-tracker';

/** Collects the updates a change to `doc` produces. */
function capture(doc: Y.Doc, change: () => void): Uint8Array[] {
  const updates: Uint8Array[] = [];
  const onUpdate = (update: Uint8Array) => updates.push(update);
  doc.on('update', onUpdate);
  change();
  doc.off('update', onUpdate);
  return updates;
}

const svOf = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

describe('covers / mergeStateVectors', () => {
  it('compares clocks per client', () => {
    expect(covers(new Map([[1, 5]]), new Map([[1, 5]]))).toBe(true);
    expect(covers(new Map([[1, 4]]), new Map([[1, 5]]))).toBe(false);
    expect(covers(new Map(), new Map([[2, 1]]))).toBe(false);
    expect(covers(new Map([[1, 1]]), new Map())).toBe(true);
  });
  it('never moves backwards', () => {
    expect(mergeStateVectors(new Map([[1, 9], [2, 1]]), new Map([[1, 3], [3, 4]]))).toEqual(
      new Map([[1, 9], [2, 1], [3, 4]]),
    );
  });
});

describe('SaveTracker', () => {
  it('counts local updates until a durable state vector covers them', () => {
    const doc = new Y.Doc();
    const tracker = new SaveTracker();
    expect(tracker.state()).toEqual({ pending: 0, acknowledged: false });

    const text = doc.getText('t');
    const first = capture(doc, () => text.insert(0, 'a'));
    const afterFirst = svOf(doc);
    const second = capture(doc, () => text.insert(1, 'b'));
    for (const u of [...first, ...second]) tracker.addLocalUpdate(u);
    expect(tracker.state().pending).toBe(2);

    tracker.acknowledge(afterFirst);
    expect(tracker.state()).toEqual({ pending: 1, acknowledged: true });
    tracker.acknowledge(svOf(doc));
    expect(tracker.state().pending).toBe(0);
  });

  it('ignores an older acknowledgement arriving late', () => {
    const doc = new Y.Doc();
    const tracker = new SaveTracker();
    const early = svOf(doc);
    for (const u of capture(doc, () => doc.getText('t').insert(0, 'x'))) tracker.addLocalUpdate(u);
    tracker.acknowledge(svOf(doc));
    tracker.acknowledge(early);
    expect(tracker.state().pending).toBe(0);
    expect(tracker.durableStateVector()).toEqual(svOf(doc));
  });

  it('does not count updates a remembered acknowledgement already covers', () => {
    const doc = new Y.Doc();
    const updates = capture(doc, () => doc.getText('t').insert(0, 'stored'));
    const tracker = new SaveTracker(svOf(doc));
    for (const u of updates) tracker.addLocalUpdate(u);
    expect(tracker.state()).toEqual({ pending: 0, acknowledged: true });
  });

  it('keeps a delete-only update waiting until the next acknowledgement', () => {
    const doc = new Y.Doc();
    const tracker = new SaveTracker();
    for (const u of capture(doc, () => doc.getText('t').insert(0, 'abc'))) tracker.addLocalUpdate(u);
    tracker.acknowledge(svOf(doc));
    for (const u of capture(doc, () => doc.getText('t').delete(0, 1))) tracker.addLocalUpdate(u);
    expect(tracker.state().pending).toBe(1);
    tracker.acknowledge(svOf(doc));
    expect(tracker.state().pending).toBe(0);
  });
});
