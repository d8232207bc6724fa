/**
 * A formatting toggle with nothing selected (Ctrl+B, then type) must survive other people's
 * edits: each remote change reaches ProseMirror as a transaction, which would drop the marks
 * stored for the next character typed. Two people, two browser contexts, typing at once.
 */
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPerson, startProduct, type Person, type Product } from './harness';
import { caretToEnd, createDocument, createShareLink, editor, editorText, openDocument, waitForEditorText } from './pages';

let product: Product;
let browser: Browser;
const people: Person[] = [];

beforeAll(async () => {
  product = await startProduct();
  browser = await launchBrowser();
}, 240_000);

// Each test's people leave with it: open editors of finished tests would only slow the next ones.
afterEach(async () => {
  for (const p of people.splice(0)) await p.context.close().catch(() => undefined);
});

afterAll(async () => {
  for (const p of people) await p.context.close().catch(() => undefined);
  await browser?.close();
  await product?.stop();
});

const MARKS = [
  { name: 'bold', shortcut: 'ControlOrMeta+b', tag: 'strong', word: 'boldly' },
  { name: 'italic', shortcut: 'ControlOrMeta+i', tag: 'em', word: 'slanted' },
  { name: 'code', shortcut: 'ControlOrMeta+e', tag: 'code', word: 'monospaced' },
] as const;

/** Typing speed of the other person: fast enough that a change arrives between two key presses. */
const KEY_DELAY_MS = 15;

describe('a pending mark while someone else types (rule E1)', { timeout: 150_000 }, () => {
  it.each(MARKS)('keeps a $name toggle through remote edits', async (mark) => {
    const alice = await newPerson(browser, `Alice ${mark.name}`);
    const bob = await newPerson(browser, `Bob ${mark.name}`);
    people.push(alice, bob);
    await createDocument(alice, product.url);
    await openDocument(bob, await createShareLink(alice, 'edit'));

    // Bob writes in the first paragraph, Alice in the second: each of Bob's keys shifts Alice's caret.
    await caretToEnd(bob.page);
    await bob.page.keyboard.type('Bob:');
    await waitForEditorText(alice.page, 'Bob:');
    await caretToEnd(alice.page);
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('Alice: ');
    await waitForEditorText(bob.page, 'Alice:');

    // Bob keeps typing until Alice is done.
    let aliceDone = false;
    const bobTyping = (async () => {
      while (!aliceDone) await bob.page.keyboard.type(' on', { delay: KEY_DELAY_MS });
    })();
    // Awaited below; if an assertion fails first, closing the page must not be an unhandled rejection.
    bobTyping.catch(() => undefined);
    await alice.page.keyboard.press(mark.shortcut);
    // Proof that the race happened: Bob's text grows in Alice's editor after her toggle.
    const before = (await editorText(alice.page)).length;
    await alice.page.waitForFunction((n) => (document.querySelector('.tiptap')?.textContent ?? '').length >= n + 5, before);
    await alice.page.locator(`[data-tool="${mark.name}"][aria-pressed="true"]`).waitFor();
    await alice.page.keyboard.type(mark.word);
    aliceDone = true;
    await bobTyping;

    for (const page of [alice.page, bob.page]) {
      await waitForEditorText(page, `Alice: ${mark.word}`);
      const marked = await editor(page).locator(mark.tag).allTextContents();
      expect(marked, `${mark.name} text on ${page === alice.page ? "Alice's" : "Bob's"} page`).toEqual([mark.word]);
    }
  });
});
