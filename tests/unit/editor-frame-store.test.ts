// @vitest-environment happy-dom
import { Editor } from '@tiptap/core';
import { afterEach, describe, expect, it } from 'vitest';
import { editorFrameStore } from '../../app/_lib/editor-frame-store';
import { contentExtensions } from '../../lib/content-schema';

/** Resolves after the next animation frame's callbacks, the store's own included (it asked first). */
const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

let editor: Editor | null = null;
afterEach(() => editor?.destroy());

/** An editor holding "plain bold", a store of whether bold is active, and counts of reads and notifications. */
function setup() {
  editor = new Editor({ extensions: contentExtensions(), content: '<p>plain <strong>bold</strong></p>' });
  const counts = { reads: 0, notified: 0 };
  const store = editorFrameStore(editor, (e) => {
    counts.reads += 1;
    return { bold: e.isActive('bold') };
  });
  const unsubscribe = store.subscribe(() => (counts.notified += 1));
  return { editor, store, counts, unsubscribe };
}

describe('editorFrameStore (the toolbar state, read once a frame)', () => {
  it('reads nothing inside a transaction, then once for all of a frame\'s transactions', async () => {
    const { editor, counts } = setup();
    await nextFrame();
    const before = counts.reads;
    editor.commands.setTextSelection(2);
    editor.commands.insertContentAt(2, 'x');
    editor.commands.insertContentAt(3, 'y');
    expect(counts.reads).toBe(before);
    await nextFrame();
    expect(counts.reads).toBe(before + 1);
  });

  it('shows a change on the next frame, and keeps the same snapshot while nothing changes', async () => {
    const { editor, store, counts } = setup();
    await nextFrame();
    const plain = store.getSnapshot();
    expect(plain).toEqual({ bold: false });
    editor.commands.setTextSelection(10);
    expect(store.getSnapshot()).toBe(plain);
    await nextFrame();
    expect(store.getSnapshot()).toEqual({ bold: true });
    expect(counts.notified).toBe(1);
    const bold = store.getSnapshot();
    editor.commands.insertContentAt(10, 'z');
    await nextFrame();
    expect(store.getSnapshot()).toBe(bold);
    expect(counts.notified).toBe(1);
  });

  it('stops reading once no one listens', async () => {
    const { editor, counts, unsubscribe } = setup();
    await nextFrame();
    unsubscribe();
    const before = counts.reads;
    editor.commands.setTextSelection(10);
    await nextFrame();
    expect(counts.reads).toBe(before);
  });
});
