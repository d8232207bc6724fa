/**
 * Comments in a real browser: two people who edit and a reviewer with a comment-only link, each
 * in their own browser context, on the `npm start` server (docs/PROTOCOL.md, rules C1–C3).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, type Person } from './harness';
import { productStage } from './stage';
import {
  caretToEnd,
  commentOn,
  createDocument,
  createShareLink,
  editor,
  editorText,
  openDocument,
  selectText,
  stableThreadCard,
  threadCard,
  typeParagraph,
  waitForEditorText,
  waitForHighlight,
} from './pages';

const stage = productStage(240_000);
const person = stage.person;

describe('commenting together', { timeout: 180_000 }, () => {
  let alice: Person;
  let bob: Person;
  let carol: Person;

  beforeAll(async () => {
    alice = await person('Alice Author');
    bob = await person('Bob Editor');
    carol = await person('Carol Reviewer');
    await createDocument(alice, stage.url);
    await caretToEnd(alice.page);
    await alice.page.keyboard.type('The committee will meet on Tuesday to discuss the budget.');
    await typeParagraph(alice.page, 'Lunch is provided for everyone who attends.');
    const editLink = await createShareLink(alice, 'edit');
    const commentLink = await createShareLink(alice, 'comment');
    await openDocument(bob, editLink);
    await openDocument(carol, commentLink);
    await waitForEditorText(carol.page, 'Lunch is provided');
  }, 90_000);

  it('shows a comment-only reader the text read-only, and drops what they type', async () => {
    await carol.page.getByTestId('comment-only').waitFor();
    expect(await carol.page.locator('[role="toolbar"]').count()).toBe(0);
    expect(await editor(carol.page).getAttribute('contenteditable')).toBe('false');
    await editor(carol.page).click();
    await carol.page.keyboard.type('CAROL TYPES');
    await typeParagraph(bob.page, 'Bob adds a line.');
    await waitForEditorText(carol.page, 'Bob adds a line.');
    expect(await editorText(carol.page)).not.toContain('CAROL TYPES');
    expect(await editorText(alice.page)).not.toContain('CAROL TYPES');
  });

  // One thread's life, in order: each step builds on the one before, so it is one test.
  it('a reviewer comments on a selection; everyone sees the highlight follow the text; replies, edits and resolving', async () => {
    await commentOn(carol.page, 'meet on Tuesday', 'Which Tuesday? The 4th or the 11th?');
    for (const page of [alice.page, bob.page]) {
      const card = threadCard(page, 'Which Tuesday?');
      await card.waitFor();
      await card.locator('.comment-author', { hasText: 'Carol Reviewer' }).waitFor();
      await card.locator('.thread-quote', { hasText: 'meet on Tuesday' }).waitFor();
      await waitForHighlight(page, 'Which Tuesday?', 'meet on Tuesday');
    }

    // The highlight follows the text as it is edited around and inside it.
    await selectText(bob.page, 'Tuesday');
    await bob.page.keyboard.type('Wednesday');
    await waitForHighlight(alice.page, 'Which Tuesday?', 'meet on Wednesday');
    await waitForHighlight(carol.page, 'Which Tuesday?', 'meet on Wednesday');

    // Replies, edits its own comment, and resolves: the thread leaves the margin but stays listed.
    const bobsCard = threadCard(bob.page, 'Which Tuesday?');
    await bobsCard.getByRole('button', { name: 'Reply' }).click();
    await bobsCard.getByLabel('Reply').fill('The 11th, I moved it.');
    await bobsCard.getByRole('button', { name: 'Reply' }).click();
    await threadCard(carol.page, 'Which Tuesday?').locator('.comment-body', { hasText: 'The 11th, I moved it.' }).waitFor();

    // Carol may edit her own comment and not Bob's reply.
    const carolsCard = await stableThreadCard(carol.page, 'Which Tuesday?');
    const bobsReply = carolsCard.locator('.comment', { hasText: 'I moved it' });
    expect(await bobsReply.getByRole('button', { name: 'Edit' }).count()).toBe(0);
    await carolsCard.locator('.comment').first().getByRole('button', { name: 'Edit' }).click();
    await carolsCard.getByLabel('Edit comment').fill('Which Wednesday, then?');
    await carolsCard.getByRole('button', { name: 'Save' }).click();
    await threadCard(alice.page, 'Which Wednesday, then?').locator('.comment-time', { hasText: 'edited' }).waitFor();
    await screenshot(alice.page, 'comments');
    await screenshot(carol.page, 'comment-only');

    const threadId = await threadCard(alice.page, 'Which Wednesday, then?').getAttribute('data-thread-id');
    await threadCard(alice.page, 'Which Wednesday, then?').getByRole('button', { name: 'Resolve' }).click();
    for (const page of [bob.page, carol.page]) {
      await page.locator(`[data-testid="open-threads"] .thread[data-thread-id="${threadId}"]`).waitFor({ state: 'detached' });
      await page.locator(`.tiptap .comment-mark[data-thread-id="${threadId}"]`).first().waitFor({ state: 'detached' });
      await page.getByRole('button', { name: /^Resolved \(\d+\)$/ }).click();
      await page.locator('[data-testid="resolved-threads"] .comment-body', { hasText: 'Which Wednesday, then?' }).waitFor();
    }
  });

  it('keeps a thread whose passage was deleted, marked detached; a view link sees it and cannot answer', async () => {
    await commentOn(bob.page, 'Lunch is provided', 'Vegetarian options?');
    await waitForHighlight(alice.page, 'Vegetarian options?', 'Lunch is provided');
    await selectText(alice.page, 'Lunch is provided for everyone who attends.');
    await alice.page.keyboard.press('Backspace');
    const card = threadCard(carol.page, 'Vegetarian options?');
    await card.locator('.thread-detached').waitFor();
    await card.locator('.thread-quote', { hasText: 'Lunch is provided' }).waitFor();
    const threadId = await card.getAttribute('data-thread-id');
    expect(await carol.page.locator(`.tiptap .comment-mark[data-thread-id="${threadId}"]`).count()).toBe(0);

    // A view link sees the comments (this detached one included) and cannot add or answer them.
    const viewLink = await createShareLink(alice, 'view');
    const dave = await person('Dave Viewer');
    await openDocument(dave, viewLink);
    await threadCard(dave.page, 'Vegetarian options?').waitFor();
    expect(await dave.page.locator('.comments-panel button', { hasText: /^(Reply|Resolve)$/ }).count()).toBe(0);
    await selectText(dave.page, 'committee');
    await alice.page.locator('[data-testid="presence"] .avatar[data-name="Dave Viewer"]').waitFor();
    expect(await dave.page.locator('button.selection-comment').count()).toBe(0);
  });
});
