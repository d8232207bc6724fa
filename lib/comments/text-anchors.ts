/**
 * Where a comment sits in the text, in Yjs terms only (no ProseMirror), so the server, the app
 * and the tests agree on it: anchors are Yjs relative positions, which follow the characters
 * they were made at through everyone's concurrent edits.
 */
import * as Y from 'yjs';

/** Stands for one embedded object in a Y.XmlText (it counts as one position there). */
const EMBED = '\uFFFC';
/** Separates blocks (and marks inline leaves such as hard breaks) in the plain text. */
const BREAK = '\n';

/**
 * The text of a Y.XmlFragment as plain characters, with a map from Yjs positions into it. Each
 * element's content is followed by one line break (never two in a row), so a quote may span
 * paragraphs as "end of one\nstart of next".
 */
export interface TextIndex {
  readonly text: string;
  /** Where each live Y.XmlText starts in `text`. */
  readonly textStarts: ReadonlyMap<Y.XmlText, number>;
  /** For each live element (and the fragment): the offset in `text` before each child, and after the last. */
  readonly childOffsets: ReadonlyMap<Y.AbstractType<unknown>, readonly number[]>;
  /** Live Y.XmlTexts in document order, with where each starts. */
  readonly texts: ReadonlyArray<{ readonly type: Y.XmlText; readonly start: number; readonly length: number }>;
}

function plainText(type: Y.XmlText): string {
  let text = '';
  for (const op of type.toDelta() as Array<{ insert: unknown }>) text += typeof op.insert === 'string' ? op.insert : EMBED;
  return text;
}

/** Indexes the live content of `fragment` (deleted paragraphs are not in it). */
export function indexText(fragment: Y.XmlFragment): TextIndex {
  let text = '';
  const textStarts = new Map<Y.XmlText, number>();
  const childOffsets = new Map<Y.AbstractType<unknown>, number[]>();
  const texts: Array<{ type: Y.XmlText; start: number; length: number }> = [];
  const visit = (type: Y.XmlFragment | Y.XmlElement) => {
    const offsets: number[] = [];
    for (const child of type.toArray()) {
      offsets.push(text.length);
      if (child instanceof Y.XmlText) {
        const plain = plainText(child);
        textStarts.set(child, text.length);
        texts.push({ type: child, start: text.length, length: plain.length });
        text += plain;
      } else if (child instanceof Y.XmlElement) {
        visit(child);
        if (text.length > 0 && !text.endsWith(BREAK)) text += BREAK;
      }
    }
    offsets.push(text.length);
    childOffsets.set(type as Y.AbstractType<unknown>, offsets);
  };
  visit(fragment);
  return { text, textStarts, childOffsets, texts };
}

/**
 * Encoded anchors of a passage (Yjs relative positions). `start` and `end` stick to its first
 * and last character, so typing just outside the passage does not grow it and typing inside
 * does. `before` and `after` stick to the characters around it and take over for an end whose
 * character was deleted: where text replacing a deleted character lands among the deleted
 * items (before or after them) is up to Yjs, and the new text must stay inside either way.
 */
export interface EncodedAnchors {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly before: Uint8Array | null;
  readonly after: Uint8Array | null;
}

/**
 * The text position at `offset` of `index`: for the start of a passage, before the first
 * character at or after it; for the end, after the last character before it. Null when there is
 * no such character in any text (only line breaks).
 */
export function textPositionAt(index: TextIndex, offset: number, side: 'start' | 'end'): { type: Y.XmlText; index: number } | null {
  if (side === 'start') {
    const text = index.texts.find((t) => t.length > 0 && t.start + t.length > offset);
    return text ? { type: text.type, index: Math.max(offset - text.start, 0) } : null;
  }
  for (let i = index.texts.length - 1; i >= 0; i--) {
    const text = index.texts[i]!;
    if (text.length > 0 && text.start < offset) return { type: text.type, index: Math.min(offset - text.start, text.length) };
  }
  return null;
}

/**
 * Anchors for the characters `text[from, to)` of `index`. The start sticks to the first
 * character and the end to the last, so typing just outside the passage does not grow it and
 * typing inside does. Null when the range holds no character of any text (only line breaks).
 */
export function anchorsForRange(index: TextIndex, from: number, to: number): EncodedAnchors | null {
  const start = textPositionAt(index, from, 'start');
  const end = textPositionAt(index, to, 'end');
  if (!start || !end || (index.textStarts.get(start.type) ?? 0) + start.index >= (index.textStarts.get(end.type) ?? 0) + end.index) return null;
  const at = (type: Y.XmlText, index: number, assoc: number) => Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(type, index, assoc));
  return {
    start: at(start.type, start.index, 0),
    end: at(end.type, end.index, -1),
    before: at(start.type, start.index, -1),
    after: at(end.type, end.index, 0),
  };
}

/** `text` with every run of white space as one space, and where each of its characters came from. */
function collapseSpaces(text: string): { text: string; from: number[] } {
  let collapsed = '';
  const from: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const space = /\s/.test(text[i]!);
    if (space && collapsed.endsWith(' ')) continue;
    collapsed += space ? ' ' : text[i];
    from.push(i);
  }
  return { text: collapsed, from };
}

/**
 * Anchors for the first occurrence of `quote` in the text, or null if it is not there. White
 * space is compared loosely (any run of it matches any other), so a passage copied from the
 * plain-text export, with its blank lines between paragraphs, is found too.
 */
export function anchorsForQuote(fragment: Y.XmlFragment, quote: string): EncodedAnchors | null {
  const wanted = collapseSpaces(quote.trim()).text;
  if (wanted === '') return null;
  const index = indexText(fragment);
  const text = collapseSpaces(index.text);
  const at = text.text.indexOf(wanted);
  if (at < 0) return null;
  return anchorsForRange(index, text.from[at]!, text.from[at + wanted.length - 1]! + 1);
}

/** How many live, countable items come before `item` in `parent` (its index there once it is gone). */
function liveIndexOf(parent: Y.AbstractType<unknown>, item: Y.Item): number {
  let index = 0;
  for (let n = parent._start; n !== null && n !== item; n = n.right) if (!n.deleted && n.countable) index += n.length;
  return index;
}

/**
 * A relative position as a live type and index inside `fragment`. If the container it was in
 * was deleted (a whole paragraph went), the position moves up to where that container was.
 * Null when it cannot be read or lies outside `fragment`.
 */
export function livePosition(doc: Y.Doc, fragment: Y.XmlFragment, encoded: Uint8Array): { type: Y.AbstractType<unknown>; index: number } | null {
  let absolute: Y.AbsolutePosition | null;
  try {
    absolute = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(encoded), doc);
  } catch {
    return null;
  }
  if (!absolute) return null;
  let type = absolute.type as Y.AbstractType<unknown>;
  let index = absolute.index;
  for (let guard = 0; type._item !== null && type._item.deleted; guard++) {
    const parent = type._item.parent;
    if (!(parent instanceof Y.AbstractType) || guard > 1_000) return null;
    index = liveIndexOf(parent, type._item);
    type = parent;
  }
  if (type !== (fragment as Y.AbstractType<unknown>) && (type._item === null || !Y.isParentOf(fragment as Y.AbstractType<unknown>, type._item))) return null;
  return { type, index };
}

/** The offset in `index.text` of a position in a live type, or null when that type is not in the text. */
export function offsetAt(index: TextIndex, type: Y.AbstractType<unknown>, at: number): number | null {
  if (type instanceof Y.XmlText) {
    const start = index.textStarts.get(type);
    return start === undefined ? null : start + at;
  }
  const offsets = index.childOffsets.get(type);
  if (!offsets) return null;
  return offsets[Math.min(at, offsets.length - 1)] ?? null;
}

/** The offset in `index.text` of an encoded anchor, or null when it is not in the text. */
export function offsetOf(doc: Y.Doc, fragment: Y.XmlFragment, index: TextIndex, encoded: Uint8Array): number | null {
  const position = livePosition(doc, fragment, encoded);
  return position ? offsetAt(index, position.type, position.index) : null;
}

/** Whether the character an encoded anchor sticks to is still in the document. */
function characterLives(doc: Y.Doc, encoded: Uint8Array): boolean {
  let id: Y.ID | null;
  try {
    id = Y.decodeRelativePosition(encoded).item;
  } catch {
    return false;
  }
  if (!id) return true;
  const structs = doc.store.clients.get(id.client);
  if (!structs || id.clock >= Y.getState(doc.store, id.client)) return false;
  const struct = structs[Y.findIndexSS(structs, id.clock)];
  return struct instanceof Y.Item && !struct.deleted;
}

/** What a comment's anchors cover now: the text between them, or detached when none of it is left. */
export type AnchoredRange = { readonly kind: 'attached'; readonly from: number; readonly to: number; readonly text: string } | { readonly kind: 'detached' };

/**
 * Where a passage is now. When the block that held one end is gone (Yjs garbage-collects the
 * characters of a deleted paragraph, and a position on them cannot be read any more), the
 * passage keeps to the block of the other end.
 */
export function resolveAnchors(doc: Y.Doc, fragment: Y.XmlFragment, index: TextIndex, anchors: EncodedAnchors): AnchoredRange {
  const start = anchors.before && !characterLives(doc, anchors.start) ? anchors.before : anchors.start;
  const end = anchors.after && !characterLives(doc, anchors.end) ? anchors.after : anchors.end;
  let from = offsetOf(doc, fragment, index, start);
  let to = offsetOf(doc, fragment, index, end);
  if (from === null && to !== null) from = index.text.lastIndexOf(BREAK, to - 1) + 1;
  if (to === null && from !== null) {
    const lineEnd = index.text.indexOf(BREAK, from);
    to = lineEnd < 0 ? index.text.length : lineEnd;
  }
  if (from === null || to === null || from >= to) return { kind: 'detached' };
  const text = index.text.slice(from, to);
  if (text.split(BREAK).join('') === '') return { kind: 'detached' };
  return { kind: 'attached', from, to, text };
}
