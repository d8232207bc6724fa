/**
 * Plain text in and out. Out: one paragraph per block with a blank line between top-level blocks,
 * list items marked as a reader of a text file expects ("- ", "1. ", "[x] "). In: paragraphs
 * separated by blank lines, a single line break kept as a line break.
 */
import type { Node as PMNode } from '@tiptap/pm/model';
import { contentSchema } from './content-schema';

function inlineText(block: PMNode): string {
  let text = '';
  block.forEach((child) => {
    if (child.isText) text += child.text ?? '';
    else if (child.type.name === 'hardBreak') text += '\n';
    else text += child.textContent;
  });
  return text;
}

function indent(text: string, prefix: string, rest: string): string {
  return text
    .split('\n')
    .map((line, i) => (i === 0 ? prefix : line === '' ? '' : rest) + line)
    .join('\n');
}

function itemMarker(list: PMNode, item: PMNode, index: number): string {
  switch (list.type.name) {
    case 'orderedList':
      return `${(typeof list.attrs.start === 'number' ? list.attrs.start : 1) + index}. `;
    case 'taskList':
      return item.attrs.checked ? '[x] ' : '[ ] ';
    default:
      return '- ';
  }
}

function blockText(block: PMNode): string {
  if (block.isTextblock) return inlineText(block);
  if (block.type.name === 'horizontalRule') return '---';
  const parts: string[] = [];
  block.forEach((child, _offset, index) => {
    if (child.type.name === 'listItem' || child.type.name === 'taskItem') {
      const marker = itemMarker(block, child, index);
      parts.push(indent(childrenText(child, '\n'), marker, ' '.repeat(marker.length)));
    } else {
      parts.push(blockText(child));
    }
  });
  return parts.join('\n');
}

function childrenText(node: PMNode, separator: string): string {
  const parts: string[] = [];
  node.forEach((child) => parts.push(blockText(child)));
  return parts.join(separator);
}

/** The document as plain text. */
export function toPlainText(doc: PMNode): string {
  const text = childrenText(doc, '\n\n');
  return text === '' ? '' : `${text}\n`;
}

/** Plain text as a document: blank lines separate paragraphs, other line breaks stay. */
export function fromPlainText(text: string): PMNode {
  const { paragraph, hardBreak } = contentSchema.nodes;
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n(?:[ \t]*\n)+/)
    .map((block) => block.replace(/^\n+|\n+$/g, ''))
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const inline: PMNode[] = [];
      block.split('\n').forEach((line, i) => {
        if (i > 0) inline.push(hardBreak!.create());
        if (line) inline.push(contentSchema.text(line));
      });
      return paragraph!.create(null, inline);
    });
  return contentSchema.topNodeType.create(null, blocks);
}
