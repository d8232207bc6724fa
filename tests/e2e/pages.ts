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
  // ProseMirror reads a caret moved by the browser on 'selectionchange', which fires later (on a
  // busy machine, frames later); a key typed before it lands at the old position. So wait until
  // the editor's own selection is at the end of the last block (TipTap keeps the editor on its
  // element). No named inner functions here: tsx would wrap them in a helper the page lacks.
  await page.waitForFunction(
    () => {
      const tiptap = (document.querySelector('.tiptap') as unknown as { editor?: { state: { selection: { empty: boolean; $from: any } } } }).editor;
      if (!tiptap) return false;
      const { empty, $from } = tiptap.state.selection;
      if (!empty || $from.parentOffset !== $from.parent.content.size) return false;
      for (let depth = 0; depth < $from.depth; depth++) if ($from.index(depth) !== $from.node(depth).childCount - 1) return false;
      return true;
    },
    undefined,
    { polling: 'raf', timeout: 10_000 },
  );
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
export async function createShareLink(owner: Person, role: 'edit' | 'comment' | 'view'): Promise<string> {
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

/** Selects the first occurrence of `text` in the editor (across highlights and marks), as a mouse drag would. */
export async function selectText(page: Page, text: string): Promise<void> {
  await page.evaluate((wanted) => {
    const root = document.querySelector('.tiptap');
    if (!root) throw new Error('no editor');
    const nodes: Text[] = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
    const all = nodes.map((n) => n.data).join('');
    const at = all.indexOf(wanted);
    if (at < 0) throw new Error(`"${wanted}" is not in the editor's text`);
    const locate = (offset: number, end: boolean): [Text, number] => {
      let seen = 0;
      for (const node of nodes) {
        if (end ? offset <= seen + node.length : offset < seen + node.length) return [node, offset - seen];
        seen += node.length;
      }
      throw new Error('offset out of range');
    };
    const range = document.createRange();
    range.setStart(...locate(at, false));
    range.setEnd(...locate(at + wanted.length, true));
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
  }, text);
}

/** The passage highlighted for the thread whose first comment says `body`, as the page shows it now. */
function highlightedText(page: Page, body: string): Promise<string | null> {
  return page.evaluate((b) => {
    const card = [...document.querySelectorAll('.comments-panel .thread')].find((c) => c.querySelector('.comment-body')?.textContent?.includes(b));
    const id = card?.getAttribute('data-thread-id');
    if (!id) return null;
    return [...document.querySelectorAll(`.tiptap .comment-mark[data-thread-id="${CSS.escape(id)}"]`)].map((m) => m.textContent).join('');
  }, body);
}

/** Waits until the passage highlighted for the thread whose first comment says `body` reads `text`. */
export async function waitForHighlight(page: Page, body: string, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let shown: string | null = null;
  while (Date.now() < deadline) {
    shown = await highlightedText(page, body);
    if (shown === text) return;
    await page.waitForTimeout(20);
  }
  throw new Error(`the highlight of "${body}" reads ${JSON.stringify(shown)}, not ${JSON.stringify(text)}; the text is ${JSON.stringify(await page.locator('.tiptap').textContent())}`);
}

/** The margin's card for the thread whose first comment says `body`. */
export const threadCard = (page: Page, body: string) => page.locator('.comments-panel .thread', { has: page.locator('.comment-body', { hasText: body }) });

/** The same card, found by its id: it stays found while its text is being edited. */
export async function stableThreadCard(page: Page, body: string) {
  const id = await threadCard(page, body).getAttribute('data-thread-id');
  return page.locator(`.comments-panel .thread[data-thread-id="${id}"]`);
}

/** Selects `passage`, chooses Comment beside it and posts `body`. */
export async function commentOn(page: Page, passage: string, body: string): Promise<void> {
  await selectText(page, passage);
  await page.locator('button.selection-comment').click();
  await page.getByLabel('New comment').fill(body);
  await page.getByTestId('comment-draft').getByRole('button', { name: 'Comment' }).click();
  await threadCard(page, body).waitFor();
}
