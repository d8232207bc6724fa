/**
 * Documents in and out, in a real browser: export (files and a printed page), import (picker and
 * drop), pasting Markdown and HTML, the owner link on another device, deleting from the home page,
 * and the title's suggestion.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, screenshotDir, type Person } from './harness';
import { productStage } from './stage';
import { caretToEnd, createDocument, editor, waitForEditorText, waitForRefusal, waitForStatus } from './pages';

const stage = productStage(300_000);
const person = stage.person;

/** The key this browser holds for a document (kept in localStorage by the app). */
function storedKey(page: Page, docId: string): Promise<string> {
  return page.evaluate((id) => {
    const docs = JSON.parse(localStorage.getItem('tandem:docs') ?? '[]') as Array<{ id: string; key: string }>;
    const key = docs.find((d) => d.id === id)?.key;
    if (!key) throw new Error(`no key for ${id}`);
    return key;
  }, docId);
}

const docIdOf = (url: string) => /\/d\/([A-Za-z0-9_-]+)/.exec(url)![1]!;

/**
 * The blocks and marks an element shows, in order: what a reader sees, without the editor's own
 * attributes. Runs in the page.
 */
function shapeOf(root: Element): string[] {
  const out: string[] = [];
  const walk = (el: Element, depth: number) => {
    for (const child of Array.from(el.children)) {
      const tag = child.tagName.toLowerCase();
      if (['label', 'input', 'br'].includes(tag) || child.classList.contains('ProseMirror-trailingBreak')) continue;
      if (['h1', 'h2', 'h3', 'p', 'li', 'pre', 'blockquote', 'ul', 'ol', 'hr'].includes(tag)) {
        const kind = tag === 'ul' && child.getAttribute('data-type') === 'taskList' ? 'tasks' : tag;
        const checked = tag === 'li' && child.hasAttribute('data-checked') ? `[${child.getAttribute('data-checked')}]` : '';
        const own = ['h1', 'h2', 'h3', 'p', 'pre'].includes(tag) ? ` ${(child.textContent ?? '').replace(/\s+/g, ' ').trim()}` : '';
        out.push(`${'  '.repeat(depth)}${kind}${checked}${own}`);
        walk(child, depth + 1);
      } else if (['strong', 'em', 's', 'code', 'a', 'u'].includes(tag)) {
        out.push(`${'  '.repeat(depth)}${tag}${tag === 'a' ? `(${child.getAttribute('href')})` : ''} ${child.textContent}`);
        walk(child, depth + 1);
      } else {
        walk(child, depth);
      }
    }
  };
  walk(root, 0);
  return out;
}

/** Types a document with every kind of block and mark, through the keyboard and Markdown shortcuts. */
async function typeRichDocument(page: Page): Promise<void> {
  await editor(page).click();
  const k = page.keyboard;
  await k.type('# Quarterly plan');
  await k.press('Enter');
  await k.type('Some ');
  await k.press('ControlOrMeta+b');
  await k.type('bold');
  await k.press('ControlOrMeta+b');
  await k.type(' and ');
  await k.press('ControlOrMeta+i');
  await k.type('italic');
  await k.press('ControlOrMeta+i');
  await k.type(' and `code` text.');
  await k.press('Enter');
  await k.type('## Tasks');
  await k.press('Enter');
  await k.type('[ ] write the draft');
  await k.press('Enter');
  await k.type('review it');
  await k.press('Enter');
  await k.press('Enter');
  await k.type('- first point');
  await k.press('Enter');
  await k.type('second point');
  await k.press('Enter');
  await k.press('Enter');
  await k.type('> a quoted line');
  await k.press('Enter');
  await k.press('Enter');
  await k.type('```');
  await k.press('Enter');
  await k.type('const x = 1;');
  await waitForEditorText(page, 'const x = 1;');
  // Tick the first task.
  await page.locator('.tiptap ul[data-type="taskList"] li').first().locator('input[type="checkbox"]').check();
}

describe('export', () => {
  let alice: Person;
  let docId: string;
  let key: string;

  beforeAll(async () => {
    alice = await person('Alice Exporter');
    const url = await createDocument(alice, stage.url);
    docId = docIdOf(url);
    key = await storedKey(alice.page, docId);
    await typeRichDocument(alice.page);
    await waitForStatus(alice.page, 'connected', true);
  }, 90_000);

  it('the HTML export of a document typed in the browser shows what the editor shows', async () => {
    const shown = await alice.page.evaluate(`(${shapeOf.toString()})(document.querySelector('.tiptap'))`);
    const res = await fetch(`${stage.url}/api/docs/${docId}/content?format=html`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const exported = await res.text();
    const viewer = await alice.context.newPage();
    await viewer.setContent(exported);
    const rendered = await viewer.evaluate(`(${shapeOf.toString()})(document.body)`);
    await viewer.close();
    expect(rendered).toEqual(shown);
    expect((shown as string[]).join('\n')).toContain('h1 Quarterly plan');
    expect((shown as string[]).join('\n')).toContain('tasks\n  li[true]');
  });

  it('the Export menu downloads Markdown, HTML and plain text', async () => {
    const { page } = alice;
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByRole('menu', { name: 'Export' }).waitFor();
    await screenshot(page, 'export-menu');
    const downloads: Record<string, string> = {};
    for (const [label, extension] of [['Markdown (.md)', 'md'], ['Web page (.html)', 'html'], ['Plain text (.txt)', 'txt']] as const) {
      if (!(await page.getByRole('menu', { name: 'Export' }).isVisible())) await page.getByRole('button', { name: 'Export', exact: true }).click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('menuitem', { name: label }).click()]);
      expect(download.suggestedFilename()).toBe(`Quarterly plan.${extension}`);
      downloads[extension] = fs.readFileSync((await download.path())!, 'utf8');
    }
    expect(downloads.md).toBe(
      '# Quarterly plan\n\nSome **bold** and *italic* and `code` text.\n\n## Tasks\n\n- [x] write the draft\n- [ ] review it\n\n- first point\n- second point\n\n> a quoted line\n\n```\nconst x = 1;\n```\n',
    );
    expect(downloads.html).toContain('<title>Quarterly plan</title>');
    expect(downloads.txt).toContain('[x] write the draft\n[ ] review it');
  });

  it('printing gives a clean page: the text and its title, no toolbar, header, margin or carets (first page saved as PNG)', async () => {
    const { page } = alice;
    await page.emulateMedia({ media: 'print' });
    for (const selector of ['.doc-header', '.toolbar-wrap', '.comments-panel']) {
      expect(await page.locator(selector).evaluate((el) => getComputedStyle(el).display)).toBe('none');
    }
    // The title is empty and the text starts with its heading: the page does not repeat it.
    expect(await page.locator('.print-title').evaluate((el) => [getComputedStyle(el).display, el.textContent])).toEqual(['none', '']);
    await page.emulateMedia({ media: 'screen' });
    await page.getByLabel('Document title').fill('Plans for Q3');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.print-title').evaluate((el) => [getComputedStyle(el).display, el.textContent])).toEqual(['block', 'Plans for Q3']);
    const pdfPath = path.join(screenshotDir, 'export-pdf.pdf');
    fs.mkdirSync(screenshotDir, { recursive: true });
    await page.pdf({ path: pdfPath, format: 'A4', printBackground: true });
    await page.emulateMedia({ media: 'screen' });
    const text = spawnSync('pdftotext', ['-f', '1', '-l', '1', '-layout', pdfPath, '-'], { encoding: 'utf8' });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('Plans for Q3');
    expect(text.stdout).toContain('Quarterly plan');
    expect(text.stdout).toContain('const x = 1;');
    for (const chrome of ['Share', 'Export', 'Connected', 'Comments']) expect(text.stdout).not.toContain(chrome);
    const png = spawnSync('pdftoppm', ['-png', '-f', '1', '-l', '1', '-r', '60', '-singlefile', pdfPath, path.join(screenshotDir, 'export-pdf-page1')], { encoding: 'utf8' });
    expect(png.status, png.stderr).toBe(0);
    expect(fs.statSync(path.join(screenshotDir, 'export-pdf-page1.png')).size).toBeGreaterThan(5_000);
  });
});

describe('import and paste', () => {
  const markdown = '# Imported notes\n\n- [ ] one task\n\n> quoted **bold**\n';

  it('a Markdown file chosen with the picker becomes a new document, owned here', async () => {
    const ivy = await person('Ivy Importer');
    await ivy.page.goto(`${stage.url}/`);
    await screenshot(ivy.page, 'import');
    await ivy.page.getByTestId('import-input').setInputFiles({ name: 'notes.md', mimeType: 'text/markdown', buffer: Buffer.from(markdown) });
    await ivy.page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    await waitForEditorText(ivy.page, 'Imported notes');
    expect(await ivy.page.locator('.tiptap h1').textContent()).toBe('Imported notes');
    expect(await ivy.page.locator('.tiptap ul[data-type="taskList"] li').count()).toBe(1);
    expect(await ivy.page.locator('.tiptap blockquote strong').textContent()).toBe('bold');
    expect(await ivy.page.getByLabel('Document title').inputValue()).toBe('notes');
    await ivy.page.getByRole('button', { name: 'Share', exact: true }).waitFor();
  });

  it('an HTML file dropped on the home page becomes a new document', async () => {
    const dora = await person('Dora Dropper');
    await dora.page.goto(`${stage.url}/`);
    await dora.page.getByRole('button', { name: 'New document' }).waitFor();
    const transfer = await dora.page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['<h2>Dropped page</h2><ol><li><p>step</p></li></ol>'], 'page.html', { type: 'text/html' }));
      return dt;
    });
    await dora.page.dispatchEvent('body', 'dragenter', { dataTransfer: transfer });
    await dora.page.getByTestId('drop-overlay').waitFor();
    await screenshot(dora.page, 'import-drop');
    await dora.page.dispatchEvent('body', 'drop', { dataTransfer: transfer });
    await dora.page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    await waitForEditorText(dora.page, 'Dropped page');
    expect(await dora.page.locator('.tiptap h2').textContent()).toBe('Dropped page');
    expect(await dora.page.locator('.tiptap ol li').textContent()).toBe('step');
  });

  it('pasting Markdown or rich HTML into the editor keeps its structure', async () => {
    const paula = await person('Paula Paster');
    await createDocument(paula, stage.url);
    const paste = (data: Record<string, string>) =>
      paula.page.evaluate((entries) => {
        const dt = new DataTransfer();
        for (const [type, value] of Object.entries(entries)) dt.setData(type, value);
        document.querySelector('.tiptap')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      }, data);
    await caretToEnd(paula.page);
    await paste({ 'text/plain': '## Pasted heading\n\n- a\n- b\n\nwith **strong** and [a link](https://example.com)\n' });
    await waitForEditorText(paula.page, 'Pasted heading');
    expect(await paula.page.locator('.tiptap h2').textContent()).toBe('Pasted heading');
    expect(await paula.page.locator('.tiptap ul li').allTextContents()).toEqual(['a', 'b']);
    expect(await paula.page.locator('.tiptap strong').textContent()).toBe('strong');
    expect(await paula.page.locator('.tiptap a').getAttribute('href')).toBe('https://example.com');
    await caretToEnd(paula.page);
    await paula.page.keyboard.press('Enter');
    await paste({ 'text/html': '<h3>Rich</h3><blockquote><p>from a <em>web page</em></p></blockquote>', 'text/plain': 'Rich\n\nfrom a web page' });
    await waitForEditorText(paula.page, 'from a web page');
    expect(await paula.page.locator('.tiptap h3').textContent()).toBe('Rich');
    expect(await paula.page.locator('.tiptap blockquote em').textContent()).toBe('web page');
    // Plain prose stays prose.
    await caretToEnd(paula.page);
    await paula.page.keyboard.press('Enter');
    await paste({ 'text/plain': 'just a sentence, 5 * 3 = 15' });
    await waitForEditorText(paula.page, 'just a sentence, 5 * 3 = 15');
  });
});

describe('owning a document anywhere', () => {
  it('the owner link opens the document as owned in another browser, which can delete it; the open editor is told', async () => {
    const olive = await person('Olive Owner');
    const url = await createDocument(olive, stage.url);
    const docId = docIdOf(url);
    await editor(olive.page).click();
    await olive.page.keyboard.type('# Travel plans');
    await olive.page.keyboard.press('Enter');
    await olive.page.keyboard.type('Pack light.');
    // The title is empty: the field suggests the first heading.
    await olive.page.waitForFunction(() => document.querySelector<HTMLInputElement>('.title-field')?.placeholder === 'Travel plans');
    expect(await olive.page.getByLabel('Document title').inputValue()).toBe('');
    await waitForStatus(olive.page, 'connected', true);

    await olive.page.getByRole('button', { name: 'Share', exact: true }).click();
    const ownerLink = await olive.page.getByLabel('Owner link').inputValue();
    expect(ownerLink).toBe(`${stage.url}/d/${docId}#key=${await storedKey(olive.page, docId)}`);
    await screenshot(olive.page, 'owner-link');
    await olive.page.keyboard.press('Escape');

    // Another device: a fresh browser with no memory of the document.
    const laptop = await person('Olive on her laptop');
    await laptop.page.goto(ownerLink);
    await waitForEditorText(laptop.page, 'Pack light.');
    await laptop.page.getByRole('button', { name: 'Share', exact: true }).waitFor();
    await laptop.page.goto(`${stage.url}/`);
    const row = laptop.page.locator('.doc-row', { hasText: 'Travel plans' });
    await row.locator('.role-chip.role-owner').waitFor();

    await row.getByRole('button', { name: 'Delete' }).click();
    await laptop.page.getByRole('heading', { name: 'Delete “Travel plans”?' }).waitFor();
    await screenshot(laptop.page, 'delete-confirm');
    await laptop.page.getByRole('button', { name: 'Delete document' }).click();
    await row.waitFor({ state: 'detached' });

    await waitForRefusal(olive.page, 'This document was deleted');
    await screenshot(olive.page, 'deleted');
    const after = await fetch(`${stage.url}/api/docs/${docId}/content`, { headers: { authorization: `Bearer ${await storedKey(laptop.page, docId).catch(() => 'x'.repeat(32))}` } });
    expect(after.status).toBe(401);
  }, 180_000);
});
