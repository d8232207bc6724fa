/**
 * Version history in a real browser: two people who edit and a viewer, each in their own browser
 * context, on the `npm start` server (docs/PROTOCOL.md, rules V2, V6).
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot, type Person } from './harness';
import { productStage } from './stage';
import { caretToEnd, createDocument, createShareLink, openDocument, typeParagraph, waitForEditorText } from './pages';

const stage = productStage(240_000);
const person = stage.person;

/** The live editor (a shown version is rendered with the same classes beside it). */
const liveText = async (page: Page) => (await page.locator('.history-live .tiptap').textContent()) ?? '';
const waitForLiveWithout = (page: Page, text: string) =>
  page.waitForFunction((t) => !(document.querySelector('.history-live .tiptap')?.textContent ?? '').includes(t), text);
/** A version in the list by its name: exactly `name`, or any matching a pattern. */
const versionItem = (page: Page, name: string | RegExp) =>
  page.getByTestId('version-item').filter({ has: page.locator('.version-name', { hasText: typeof name === 'string' ? new RegExp(`^${name}$`) : name }) });

async function openHistory(page: Page): Promise<void> {
  if ((await page.getByTestId('history-panel').count()) === 0) await page.getByTestId('history-button').click();
  await page.getByTestId('history-panel').waitFor();
}

async function restoreShown(page: Page): Promise<void> {
  await page.getByTestId('version-restore').click();
  await page.getByTestId('version-restore-confirm').click();
  await page.getByTestId('version-view').waitFor({ state: 'detached' });
}

describe('version history with two people', () => {
  let alice: Person;
  let bob: Person;
  let viewer: Person;

  beforeAll(async () => {
    alice = await person('Alice Author');
    bob = await person('Bob Editor');
    viewer = await person('Vera Viewer');
    await createDocument(alice, stage.url);
    await caretToEnd(alice.page);
    await alice.page.keyboard.type('The plan is to ship on Friday.');
    await typeParagraph(alice.page, 'Testing starts on Monday.');
    const editLink = await createShareLink(alice, 'edit');
    const viewLink = await createShareLink(alice, 'view');
    await openDocument(bob, editLink);
    await openDocument(viewer, viewLink);
    await waitForEditorText(bob.page, 'Testing starts on Monday.');
  }, 90_000);

  it('names a version, compares it after an edit, restores it for everyone, restores the edit back, and undoes that', async () => {
    await openHistory(alice.page);
    await alice.page.getByTestId('version-name-input').fill('Sent to the client');
    await alice.page.getByTestId('version-name-save').click();
    await versionItem(alice.page, 'Sent to the client').waitFor();
    expect(await versionItem(alice.page, 'Sent to the client').getAttribute('data-named')).toBe('true');

    await typeParagraph(bob.page, 'Bob adds a risky change.');
    await alice.page.locator('.history-live .tiptap', { hasText: 'risky change' }).waitFor();
    await screenshot(alice.page, 'history-panel');

    // The version, read-only, in place of the editor: without Bob's line.
    await versionItem(alice.page, 'Sent to the client').click();
    const content = alice.page.getByTestId('version-content');
    await content.filter({ hasText: 'ship on Friday' }).waitFor();
    expect(await content.textContent()).not.toContain('risky');
    expect(await alice.page.locator('.history-live').isHidden()).toBe(true);

    // Compared with the current document, Bob's line is marked as added.
    await alice.page.getByTestId('version-compare').selectOption('current');
    await content.locator('[data-diff="added"]', { hasText: 'Bob adds a risky change.' }).waitFor();
    await screenshot(alice.page, 'history-compare');

    // Restore: both people see the version's text.
    await restoreShown(alice.page);
    for (const page of [alice.page, bob.page]) await waitForLiveWithout(page, 'risky');
    expect(await liveText(bob.page)).toContain('Testing starts on Monday.');

    // The state before the restore was kept; restoring it brings Bob's line back for both.
    const before = versionItem(alice.page, /^Before restoring “Sent to the client”$/);
    await before.waitFor();
    await before.click();
    await content.filter({ hasText: 'risky change' }).waitFor();
    await restoreShown(alice.page);
    for (const page of [alice.page, bob.page]) await page.locator('.history-live .tiptap', { hasText: 'Bob adds a risky change.' }).waitFor();

    // A restore made here can be undone from the app: the line goes again, for both.
    await alice.page.getByTestId('restore-undo').click();
    await alice.page.getByTestId('restore-done').waitFor({ state: 'detached' });
    for (const page of [alice.page, bob.page]) await waitForLiveWithout(page, 'risky');
  }, 90_000);

  it('a viewer browses and compares, but cannot name or restore', async () => {
    await openHistory(viewer.page);
    // The version kept before the first restore still has Bob's line; the current document (after the undo) does not.
    await versionItem(viewer.page, /^Before restoring “Sent to the client”$/).click();
    await viewer.page.getByTestId('version-content').filter({ hasText: 'risky change' }).waitFor();
    await viewer.page.getByTestId('version-compare').selectOption('current');
    await viewer.page.getByTestId('version-content').locator('[data-diff="removed"]', { hasText: 'Bob adds a risky change.' }).waitFor();
    expect(await viewer.page.getByTestId('version-restore').count()).toBe(0);
    expect(await viewer.page.getByTestId('version-name-input').count()).toBe(0);
    await viewer.page.getByTestId('version-back').click();
    await viewer.page.locator('.history-live .tiptap', { hasText: 'Testing starts on Monday.' }).waitFor();
  }, 60_000);
});
