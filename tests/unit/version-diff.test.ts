import { describe, expect, it } from 'vitest';
import type { JSONContent } from '@tiptap/core';
import { generateHTML } from '@tiptap/html/server';
import { contentExtensions } from '../../lib/content-schema';
import { diffDocuments, type PMJson } from '../../lib/version-diff';

const extensions = contentExtensions();
const render = (block: PMJson) => generateHTML({ type: 'doc', content: [block] } as JSONContent, extensions);

const p = (...content: PMJson[]): PMJson => ({ type: 'paragraph', content });
const t = (text: string, marks?: Array<{ type: string }>): PMJson => (marks ? { type: 'text', text, marks } : { type: 'text', text });
const h = (text: string): PMJson => ({ type: 'heading', attrs: { level: 2 }, content: [t(text)] });
const doc = (...content: PMJson[]): PMJson => ({ type: 'doc', content });

describe('comparing versions as rich text (diffDocuments)', () => {
  it('an unchanged document renders as it is, with nothing marked', () => {
    const d = doc(h('Title'), p(t('Some '), t('bold', [{ type: 'bold' }]), t(' text')));
    const html = diffDocuments(d, d, render);
    expect(html).toBe(render(h('Title')) + render(p(t('Some '), t('bold', [{ type: 'bold' }]), t(' text'))));
    expect(html).not.toMatch(/<ins|<del|data-diff/);
  });

  it('marks the words changed inside a block, keeping its marks', () => {
    const before = doc(p(t('The quick brown fox '), t('jumps', [{ type: 'bold' }])));
    const after = doc(p(t('The slow brown fox '), t('jumps', [{ type: 'bold' }]), t(' high')));
    const html = diffDocuments(before, after, render);
    expect(html).toBe('<p>The <del>quick</del><ins>slow</ins> brown fox <strong>jumps</strong><ins> high</ins></p>');
  });

  it('marks whole blocks added and removed, and keeps the others in place', () => {
    const before = doc(p(t('one')), p(t('two')), p(t('three')));
    const after = doc(p(t('one')), p(t('three')), h('four'));
    const html = diffDocuments(before, after, render);
    expect(html).toBe('<p>one</p><div class="diff-removed" data-diff="removed"><p>two</p></div><p>three</p><div class="diff-added" data-diff="added"><h2>four</h2></div>');
  });

  it('a block that changed type is shown removed, then added', () => {
    const html = diffDocuments(doc(p(t('Intro'))), doc(h('Intro')), render);
    expect(html).toBe('<div class="diff-removed" data-diff="removed"><p>Intro</p></div><div class="diff-added" data-diff="added"><h2>Intro</h2></div>');
  });

  it('escapes text: markup typed into a document stays text', () => {
    const html = diffDocuments(doc(p(t('a'))), doc(p(t('a <script>x</script>'))), render);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
