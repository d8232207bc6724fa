/** What a person does on Tandem's screens, and what they wait to see. Every wait has a deadline. */
import type { Page } from 'playwright-core';
import type { Person } from './harness';

export const editor = (page: Page) => page.locator('.tiptap');

export async function waitForEditorText(page: Page, text: string): Promise<void> {
  await page.locator('.tiptap', { hasText: text }).waitFor();
}

export async function waitForEditorWithout(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => {
    const el = document.querySelector('.tiptap');
    return el !== null && !(el.textContent ?? '').includes(t);
  }, text);
}

export async function editorText(page: Page): Promise<string> {
  return (await editor(page).textContent()) ?? '';
}

/** Waits for the status badge to show a connection state and, optionally, "Saved". */
export async function waitForStatus(page: Page, connection: string, saved?: boolean): Promise<void> {
  const savedPart = saved === undefined ? '' : `[data-saved="${saved}"]`;
  await page.locator(`[data-testid="status"][data-connection="${connection}"]${savedPart}`).waitFor();
}

/** Puts the caret at the very end of the document. */
export async function caretToEnd(page: Page): Promise<void> {
  await editor(page).click();
  await page.keyboard.press('ControlOrMeta+End');
  // ProseMirror reads a caret moved by the browser on 'selectionchange', which fires later;
  // a key typed before it lands at the old position. Two frames let it catch up.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Appends a new paragraph with `text`. */
export async function typeParagraph(page: Page, text: string): Promise<void> {
  await caretToEnd(page);
  await page.keyboard.press('Enter');
  await page.keyboard.type(text);
}

/** From `/`, "New document"; resolves with the document's address once it is connected. */
export async function createDocument(owner: Person, baseUrl: string): Promise<string> {
  await owner.page.goto(`${baseUrl}/`);
  await owner.page.getByRole('button', { name: 'New document' }).click();
  await owner.page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
  await editor(owner.page).waitFor();
  await waitForStatus(owner.page, 'connected');
  return owner.page.url();
}

/** The owner makes a share link in the share dialog and reads it from the dialog. */
export async function createShareLink(owner: Person, role: 'edit' | 'view'): Promise<string> {
  const { page } = owner;
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.getByLabel('Access').selectOption(role);
  await page.getByRole('button', { name: 'Create link' }).click();
  const field = page.locator('.link-row[data-fresh="true"] .copy-field input');
  await field.waitFor();
  const link = await field.inputValue();
  await page.keyboard.press('Escape');
  await page.locator('dialog.share-dialog').waitFor({ state: 'hidden' });
  return link;
}

/** Opens a document link and waits until the editor is there and synced. */
export async function openDocument(person: Person, link: string): Promise<void> {
  await person.page.goto(link);
  await editor(person.page).waitFor();
  await waitForStatus(person.page, 'connected');
}

export async function waitForRefusal(page: Page, heading: string): Promise<void> {
  await page.getByRole('heading', { name: heading }).waitFor();
}
