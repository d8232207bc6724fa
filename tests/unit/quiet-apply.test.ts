import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { applyQuietly } from '../../app/_lib/quiet-apply';

/** A document holding `text`, as the server would send it. */
function serverUpdate(text: string): Uint8Array {
  const source = new Y.Doc();
  source.getText('t').insert(0, text);
  return Y.encodeStateAsUpdate(source);
}

describe('applyQuietly', () => {
  it('applies a change without update events, and says the content changed', () => {
    const ydoc = new Y.Doc();
    const heard: unknown[] = [];
    ydoc.on('update', (_update: Uint8Array, origin: unknown) => heard.push(origin));
    expect(applyQuietly(ydoc, () => Y.applyUpdate(ydoc, serverUpdate('from the server'), 'server'))).toBe(true);
    expect(ydoc.getText('t').toString()).toBe('from the server');
    expect(heard).toEqual([]);
  });

  it('puts every listener back: the next change is heard as before', () => {
    const ydoc = new Y.Doc();
    const heard: string[] = [];
    ydoc.on('update', () => heard.push('first'));
    ydoc.on('update', () => heard.push('second'));
    applyQuietly(ydoc, () => Y.applyUpdate(ydoc, serverUpdate('x')));
    ydoc.getText('t').insert(0, 'typed');
    expect(heard).toEqual(['first', 'second']);
  });

  it('says nothing changed when nothing was inserted or deleted', () => {
    const ydoc = new Y.Doc();
    const update = serverUpdate('same');
    Y.applyUpdate(ydoc, update);
    expect(applyQuietly(ydoc, () => Y.applyUpdate(ydoc, update))).toBe(false);
    expect(applyQuietly(ydoc, () => undefined)).toBe(false);
  });

  it('counts a deletion as a change', () => {
    const ydoc = new Y.Doc();
    const source = new Y.Doc();
    source.getText('t').insert(0, 'abc');
    Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(source));
    const before = Y.encodeStateVector(source);
    source.getText('t').delete(0, 1);
    expect(applyQuietly(ydoc, () => Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(source, before)))).toBe(true);
    expect(ydoc.getText('t').toString()).toBe('bc');
  });

  it('puts the listeners back when the change throws', () => {
    const ydoc = new Y.Doc();
    const heard: string[] = [];
    ydoc.on('update', () => heard.push('heard'));
    expect(() =>
      applyQuietly(ydoc, () => {
        throw new Error('damaged frame');
      }),
    ).toThrow('damaged frame');
    ydoc.getText('t').insert(0, 'typed');
    expect(heard).toEqual(['heard']);
  });
});
