import { describe, expect, it } from 'vitest';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { decodeAwarenessEntries, encodeAwarenessEntries } from '../../server/protocol/awareness-entries';
import { ProtocolError, decodeClientFrame, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../server/protocol/frames';
import { isDocId, parseDocId } from '../../lib/doc-id';

describe('frame codec', () => {
  it('decodes what y-protocols encodes, into tagged frames', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'hi');
    const sv = Y.encodeStateVector(doc);
    const update = Y.encodeStateAsUpdate(doc);
    expect(decodeClientFrame(encodeSyncStep1(sv))).toEqual({ kind: 'sync-step1', stateVector: sv });
    expect(decodeClientFrame(encodeSyncStep2(update))).toEqual({ kind: 'update', update });
    expect(decodeClientFrame(encodeUpdate(update))).toEqual({ kind: 'update', update });
    expect(decodeClientFrame(new Uint8Array([3]))).toEqual({ kind: 'query-awareness' });
  });

  it('throws ProtocolError, never anything else, for malformed frames', () => {
    for (const bytes of [[], [9], [0], [0, 5, 0], [0, 0, 200], [1, 130]]) {
      expect(() => decodeClientFrame(new Uint8Array(bytes)), JSON.stringify(bytes)).toThrow(ProtocolError);
    }
  });

  it('reads and writes awareness updates byte-compatibly with y-protocols', () => {
    const doc = new Y.Doc();
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState({ user: { name: 'Zoë ✓' } });
    const encoded = awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]);
    const entries = decodeAwarenessEntries(encoded);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.clientId).toBe(doc.clientID);
    expect(encodeAwarenessEntries(entries, entries.length)).toEqual(encoded);
    // A removal decodes as a null state.
    awareness.setLocalState(null);
    const removal = decodeAwarenessEntries(awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]));
    expect(removal[0]!.state).toBeNull();
    awareness.destroy();
  });
});

describe('document ids', () => {
  it('accepts 1 to 64 URL-safe characters and refuses the rest with the rule', () => {
    expect(isDocId('a')).toBe(true);
    expect(isDocId('A-z_0'.repeat(12) + 'abcd')).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'a b', 'a/b', '../etc', 'é']) expect(isDocId(bad), bad).toBe(false);
    expect(() => parseDocId('a/b')).toThrow(/1 to 64 characters/);
  });
});
