/**
 * Comparing two versions of a document as rich text: both are rendered with the one schema, then
 * compared block by block, and blocks that changed are compared word by word inside their HTML.
 * The result is the newer document's HTML with `<ins>` around what was added and `<del>` around
 * what was removed. Tags only ever come from the newer side, so the markup stays well formed; a
 * removed block is shown whole, marked. Free of Node and DOM APIs: the app and tests use it alike.
 */

/** A ProseMirror JSON node (the shape `Node.toJSON` writes). */
export interface PMJson {
  readonly type: string;
  readonly content?: readonly PMJson[];
  readonly [key: string]: unknown;
}

/** Renders one top-level block (as a one-block document) to HTML with the document schema. */
export type RenderBlock = (block: PMJson) => string;

type Step<T> = { kind: 'same'; a: T; b: T } | { kind: 'removed'; a: T } | { kind: 'added'; b: T };

/** Beyond this many cells a word-level comparison of one block is not worth it: the block is shown removed and added. */
const MAX_WORD_CELLS = 4_000_000;

/** The shortest edit script between `a` and `b` (longest common subsequence), keeping common ends cheap. */
function diffSequences<T>(a: readonly T[], b: readonly T[], same: (x: T, y: T) => boolean): Step<T>[] {
  let start = 0;
  while (start < a.length && start < b.length && same(a[start]!, b[start]!)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && same(a[endA - 1]!, b[endB - 1]!)) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  // lengths[i][j]: LCS of a[start+i..endA) and b[start+j..endB).
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i]![j] = same(a[start + i]!, b[start + j]!) ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const steps: Step<T>[] = [];
  for (let k = 0; k < start; k++) steps.push({ kind: 'same', a: a[k]!, b: b[k]! });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[start + i]!, b[start + j]!)) {
      steps.push({ kind: 'same', a: a[start + i]!, b: b[start + j]! });
      i++;
      j++;
    } else if (i < n && (j === m || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      // Removals first, so a replaced word reads "old, then new".
      steps.push({ kind: 'removed', a: a[start + i]! });
      i++;
    } else {
      steps.push({ kind: 'added', b: b[start + j]! });
      j++;
    }
  }
  for (let k = endA; k < a.length; k++) steps.push({ kind: 'same', a: a[k]!, b: b[k - endA + endB]! });
  return steps;
}

const TOKEN = /<[^>]*>|[^<\s]+|\s+/g;
const isTag = (token: string) => token.startsWith('<');

/** Word-level comparison of two renderings of one block; the tags are the newer one's. */
function diffBlockHtml(before: string, after: string): string | null {
  const a = before.match(TOKEN) ?? [];
  const b = after.match(TOKEN) ?? [];
  if (a.length * b.length > MAX_WORD_CELLS) return null;
  let html = '';
  let run: { kind: 'ins' | 'del'; text: string } | null = null;
  const flush = () => {
    if (run && run.text.trim() !== '') html += `<${run.kind}>${run.text}</${run.kind}>`;
    else if (run) html += run.kind === 'ins' ? run.text : '';
    run = null;
  };
  const mark = (kind: 'ins' | 'del', text: string) => {
    if (run && run.kind !== kind) flush();
    run ??= { kind, text: '' };
    run.text += text;
  };
  for (const step of diffSequences(a, b, (x, y) => x === y)) {
    if (step.kind === 'same') {
      flush();
      html += step.b;
    } else if (step.kind === 'added') {
      if (isTag(step.b)) {
        flush();
        html += step.b;
      } else mark('ins', step.b);
    } else if (!isTag(step.a)) mark('del', step.a);
  }
  flush();
  return html;
}

const removedBlock = (html: string) => `<div class="diff-removed" data-diff="removed">${html}</div>`;
const addedBlock = (html: string) => `<div class="diff-added" data-diff="added">${html}</div>`;

/**
 * HTML of `after` with the changes from `before` marked: unchanged blocks as they render, added
 * blocks and removed blocks wrapped (`data-diff="added"`, `"removed"`), and a changed block of the
 * same type shown once with `<ins>`/`<del>` around the words that changed.
 */
export function diffDocuments(before: PMJson, after: PMJson, renderBlock: RenderBlock): string {
  const key = (block: PMJson) => JSON.stringify(block);
  const steps = diffSequences(before.content ?? [], after.content ?? [], (x, y) => key(x) === key(y));
  let html = '';
  let removed: PMJson[] = [];
  let added: PMJson[] = [];
  const flushChanges = () => {
    // Removed and added blocks in one run pair up in order: same type means an edited block.
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k++) {
      const [a, b] = [removed[k]!, added[k]!];
      const words = a.type === b.type ? diffBlockHtml(renderBlock(a), renderBlock(b)) : null;
      html += words ?? removedBlock(renderBlock(a)) + addedBlock(renderBlock(b));
    }
    for (const a of removed.slice(paired)) html += removedBlock(renderBlock(a));
    for (const b of added.slice(paired)) html += addedBlock(renderBlock(b));
    removed = [];
    added = [];
  };
  for (const step of steps) {
    if (step.kind === 'same') {
      flushChanges();
      html += renderBlock(step.b);
    } else if (step.kind === 'removed') removed.push(step.a);
    else added.push(step.b);
  }
  flushChanges();
  return html;
}
