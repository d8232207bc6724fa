/**
 * Turns ProseMirror JSON into a document of the content schema, or says precisely why it cannot.
 * JSON from outside is held to the schema as it is; what a converter produced from Markdown, HTML
 * or text is repaired first where the converters are known to fall short (inline nodes at block
 * level, deep headings, empty text, soft line breaks, marks a code block does not take, unsafe links).
 */
import type { JSONContent } from '@tiptap/core';
import type { Mark, Node as PMNode, NodeType } from '@tiptap/pm/model';
import { contentSchema, HEADING_LEVELS } from './content-schema';

/** Content that is not a document of the schema; the message says what is wrong, for a 400. */
export class InvalidContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidContentError';
  }
}

const SAFE_LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:']);

/** A link a reader may follow: web and mail links, and relative ones; never `javascript:`. */
export function isSafeHref(href: unknown): boolean {
  if (typeof href !== 'string') return false;
  const scheme = /^\s*([a-z][a-z0-9+.-]*:)/i.exec(href)?.[1]?.toLowerCase();
  return scheme === undefined || SAFE_LINK_SCHEMES.has(scheme);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `json` against the schema without changing it: the shape a script sends. */
export function strictDocument(json: unknown): PMNode {
  if (!isObject(json) || json.type !== 'doc') throw new InvalidContentError('ProseMirror JSON must be an object with "type": "doc"');
  let node: PMNode;
  try {
    node = contentSchema.nodeFromJSON(json);
    node.check();
  } catch (error) {
    throw new InvalidContentError(`not a document of this editor: ${error instanceof Error ? error.message : String(error)}`);
  }
  const unsafe = findUnsafeLink(node);
  if (unsafe !== null) throw new InvalidContentError(`a link may only point to http(s), mailto or a relative address, not ${JSON.stringify(unsafe)}`);
  return node;
}

function findUnsafeLink(node: PMNode): string | null {
  let found: string | null = null;
  node.descendants((child) => {
    for (const mark of child.marks) if (mark.type.name === 'link' && !isSafeHref(mark.attrs.href)) found ??= String(mark.attrs.href);
    return found === null;
  });
  return found;
}

/** Builds a document from a converter's output, repairing what converters get wrong. */
export function repairedDocument(json: JSONContent): PMNode {
  const nodes = buildNodes({ ...json, type: 'doc' }, null);
  const doc = nodes[0];
  if (!doc) throw new InvalidContentError('the content has no document');
  try {
    doc.check();
  } catch (error) {
    throw new InvalidContentError(`the content does not fit this editor: ${error instanceof Error ? error.message : String(error)}`);
  }
  return doc;
}

function buildMarks(json: JSONContent, parent: NodeType | null): Mark[] {
  const marks: Mark[] = [];
  for (const raw of json.marks ?? []) {
    const type = contentSchema.marks[raw.type];
    if (!type) throw new InvalidContentError(`unknown mark "${raw.type}"`);
    // Text outside a textblock is wrapped in a paragraph later; only a textblock's rules apply.
    if (parent?.inlineContent && !parent.allowsMarkType(type)) continue;
    if (type.name === 'link' && !isSafeHref(raw.attrs?.href)) continue;
    marks.push(type.create(raw.attrs ?? null));
  }
  // addToSet orders marks by rank and drops duplicates, as ProseMirror requires.
  let set: readonly Mark[] = [];
  for (const mark of marks) set = mark.addToSet(set);
  return [...set];
}

function buildNodes(json: JSONContent, parent: NodeType | null): PMNode[] {
  if (json.type === 'text') {
    // A line break inside a paragraph's text is Markdown's soft break: a space, as every renderer
    // shows it (the editor would show a line break no keyboard can type). Code keeps its lines.
    const text = parent?.spec.code ? json.text : json.text?.replace(/\r?\n/g, ' ');
    if (!text) return [];
    return [contentSchema.text(text, buildMarks(json, parent))];
  }
  const type = json.type ? contentSchema.nodes[json.type] : undefined;
  if (!type) throw new InvalidContentError(`unknown node type "${json.type ?? '(none)'}"`);
  let children = (json.content ?? []).flatMap((child) => buildNodes(child, type));
  if (!type.inlineContent) children = wrapInlineRuns(children);
  const attrs = { ...json.attrs };
  if (type.name === 'heading') attrs.level = clampHeadingLevel(attrs.level);
  const node = type.createAndFill(attrs, children, buildMarks(json, null));
  if (!node) throw new InvalidContentError(`a ${type.name} cannot hold ${children.map((c) => c.type.name).join(', ') || 'nothing'}`);
  return [node];
}

/** Inline nodes where blocks belong (an image's alt text at top level) go into paragraphs. */
function wrapInlineRuns(children: PMNode[]): PMNode[] {
  const out: PMNode[] = [];
  let run: PMNode[] = [];
  const flush = () => {
    if (run.length > 0) out.push(contentSchema.nodes.paragraph!.create(null, run));
    run = [];
  };
  for (const child of children) {
    if (child.isInline) run.push(child);
    else {
      flush();
      out.push(child);
    }
  }
  flush();
  return out;
}

function clampHeadingLevel(level: unknown): number {
  const min = HEADING_LEVELS[0];
  const max = HEADING_LEVELS[HEADING_LEVELS.length - 1]!;
  const value = typeof level === 'number' && Number.isFinite(level) ? Math.round(level) : min;
  return Math.min(max, Math.max(min, value));
}
