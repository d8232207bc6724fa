import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CONTENT_AT, STRUCT_FIELDS, appendInsertions, isOneInsertion, outlineOf, outlineUpdate, readPlainUpdate, type UpdateOutline } from '../../server/rooms/update-outline';

/** Every update `edit` makes on a fresh document of client `clientID` (after `setUp`'s, which are left out). */
function updatesOf(clientID: number, edit: (doc: Y.Doc) => void, setUp?: (doc: Y.Doc) => void): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  setUp?.(doc);
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  edit(doc);
  return updates;
}

function yjsOutline(update: Uint8Array): UpdateOutline {
  return outlineOf(Y.decodeUpdate(update));
}

/** The outline without where string content starts, which only the in-place reader knows. */
function withoutContentOffsets(outline: UpdateOutline | null): UpdateOutline | null {
  if (!outline) return null;
  return { structs: outline.structs.map((n, i) => (i % STRUCT_FIELDS === CONTENT_AT ? -1 : n)), deletions: outline.deletions };
}

const typed = updatesOf(1, (doc) => {
  const text = doc.getText('t');
  for (const char of 'hello world') text.insert(text.length, char);
  text.insert(0, 'start ');
  text.insert(3, 'middle');
});
const deleted = updatesOf(
  1,
  (doc) => {
    doc.getText('t').delete(2, 5);
    doc.getText('t').delete(0, 1);
  },
  (doc) => doc.getText('t').insert(0, 'some text to delete'),
);
/** A document's whole state with deleted content collected: GC structs and deleted-content items. */
const collected = (() => {
  const doc = new Y.Doc();
  doc.clientID = 7;
  doc.getText('t').insert(0, 'abcdefgh');
  doc.getText('t').delete(1, 5);
  doc.getMap('m').set('k', new Y.Text('x'));
  doc.getMap('m').delete('k');
  return [Y.encodeStateAsUpdate(doc)];
})();
/** Merged around a gap: Yjs writes a Skip struct. */
const skipping = (() => {
  const [a, , c] = updatesOf(3, (doc) => {
    for (const char of 'abc') doc.getText('t').insert(doc.getText('t').length, char);
  });
  return [Y.mergeUpdates([a!, c!])];
})();
const unusual = [
  ...updatesOf(2, (doc) => doc.getText('t').insert(0, 'grüße, 日本語 🙂')),
  ...updatesOf(2, (doc) => doc.getMap('m').set('key', { nested: [1, 'two', null] })),
  ...updatesOf(2, (doc) => doc.getArray('a').insert(0, [new Y.Map(), new Uint8Array([1, 2, 3])])),
  ...updatesOf(2, (doc) => doc.getText('t').insert(0, 'bold', { bold: true })),
  ...updatesOf(2, (doc) => doc.getText('t').insertEmbed(0, { image: 'x.png' })),
  ...updatesOf(2, (doc) => {
    const element = new Y.XmlElement('p');
    doc.getXmlFragment('x').insert(0, [element]);
    element.setAttribute('class', 'c');
    element.insert(0, [new Y.XmlText('inside')]);
  }),
  ...updatesOf(2, (doc) => doc.getMap('m').set('sub', new Y.Doc())),
];

describe('update outline', () => {
  it.each([
    ['typed text', typed],
    ['deletions', deleted],
    ['collected content', collected],
    ['a skip', skipping],
  ])('reads %s straight from the bytes, as Yjs decodes them', (_name, updates) => {
    expect(updates.length).toBeGreaterThan(0);
    for (const update of updates) {
      const plain = readPlainUpdate(update);
      expect(plain).not.toBeNull();
      expect(withoutContentOffsets(plain)).toEqual(yjsOutline(update));
    }
  });

  it('leaves anything else to Yjs, with the same outline', () => {
    for (const update of unusual) {
      expect(readPlainUpdate(update)).toBeNull();
      expect(outlineUpdate(update)).toEqual(yjsOutline(update));
    }
  });

  it('accepts only what Yjs decodes, and outlines it the same: 30,000 damaged updates', () => {
    let seed = 12345;
    const random = (below: number) => {
      // xorshift32: the same damage on every run.
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % below;
    };
    const originals = [...typed, ...deleted, ...collected, ...skipping, ...unusual];
    let readPlain = 0;
    let refusedByYjs = 0;
    for (let round = 0; round < 30_000; round++) {
      const bytes = Array.from(originals[random(originals.length)]!);
      for (let damage = 1 + random(3); damage > 0; damage--) {
        const at = random(bytes.length + 1);
        switch (random(4)) {
          case 0:
            bytes[at] = random(256);
            break;
          case 1:
            bytes.splice(at, 1);
            break;
          case 2:
            bytes.splice(at, 0, random(256));
            break;
          default:
            bytes.length = at;
        }
      }
      const update = new Uint8Array(bytes);
      let expected: UpdateOutline | null = null;
      try {
        expected = yjsOutline(update);
      } catch {
        refusedByYjs++;
      }
      const plain = readPlainUpdate(update);
      if (plain === null) continue;
      readPlain++;
      expect(expected).not.toBeNull();
      expect(withoutContentOffsets(plain)).toEqual(expected);
      expect(withoutContentOffsets(outlineUpdate(update))).toEqual(expected);
    }
    // Both paths were exercised.
    expect(readPlain).toBeGreaterThan(1_000);
    expect(refusedByYjs).toBeGreaterThan(1_000);
  });

  it('throws for what Yjs refuses', () => {
    expect(() => outlineUpdate(new Uint8Array([255, 255, 255, 255, 1, 2, 3]))).toThrow();
    expect(() => outlineUpdate(typed[0]!.subarray(0, typed[0]!.length - 3))).toThrow();
  });

  it.each([
    ['into an empty text', (doc: Y.Doc) => doc.getText('t'), () => {}],
    ['at the end', (doc: Y.Doc) => doc.getText('t'), (doc: Y.Doc) => doc.getText('t').insert(0, 'before')],
    ['at the start, before other text', (doc: Y.Doc) => doc.getText('t'), (doc: Y.Doc) => doc.getText('t').insert(0, 'after')],
    [
      'into a text nested in an element',
      (doc: Y.Doc) => (doc.getXmlFragment('x').get(0) as Y.XmlElement).get(0) as Y.XmlText,
      (doc: Y.Doc) => {
        const element = new Y.XmlElement('p');
        doc.getXmlFragment('x').insert(0, [element]);
        element.insert(0, [new Y.XmlText()]);
      },
    ],
  ])('appends characters typed %s into one update that integrates the same', (_name, textOf, setUp) => {
    const base = new Y.Doc();
    base.clientID = 1;
    setUp(base);
    const typist = new Y.Doc();
    typist.clientID = 2;
    Y.applyUpdate(typist, Y.encodeStateAsUpdate(base));
    const updates: Uint8Array[] = [];
    typist.on('update', (update: Uint8Array) => updates.push(update));
    const text = textOf(typist);
    const at = _name.startsWith('at the start') ? 0 : text.length;
    for (const [i, char] of [...'typed'].entries()) text.insert(at + i, char);
    const outlines = updates.map((update) => outlineUpdate(update));
    expect(updates.every((update, i) => isOneInsertion(update, outlines[i]!))).toBe(true);

    const oneByOne = new Y.Doc();
    const appended = new Y.Doc();
    for (const doc of [oneByOne, appended]) Y.applyUpdate(doc, Y.encodeStateAsUpdate(base));
    for (const update of updates) Y.applyUpdate(oneByOne, update);
    Y.applyUpdate(appended, appendInsertions(updates, outlines));
    expect(appended.store.pendingStructs).toBeNull();
    expect(textOf(appended).toString()).toBe(textOf(typist).toString());
    expect(Y.encodeStateAsUpdate(appended)).toEqual(Y.encodeStateAsUpdate(oneByOne));
  });
});
