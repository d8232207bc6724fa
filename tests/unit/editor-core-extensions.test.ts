// @vitest-environment happy-dom
import { Editor } from '@tiptap/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CORE_EXTENSIONS } from '../../app/_lib/editor-core-extensions';
import { contentExtensions } from '../../lib/content-schema';

/** Timers set while the editor applies one typed character and one deletion. */
function timersPerEdit(options: { enableCoreExtensions?: typeof CORE_EXTENSIONS }): number {
  const editor = new Editor({ ...options, extensions: contentExtensions(), content: '<p>hello</p>' });
  try {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    editor.commands.insertContentAt(1, 'x');
    editor.commands.deleteRange({ from: 1, to: 3 });
    return setTimeoutSpy.mock.calls.length;
  } finally {
    vi.restoreAllMocks();
    editor.destroy();
  }
}

describe('the core extensions the editor runs', () => {
  afterEach(() => vi.restoreAllMocks());

  it("leave out 'delete', which sets a timer on every transaction (TipTap's default does)", () => {
    // One timer fewer for each of the two transactions; others' timers are the same either way.
    expect(timersPerEdit({}) - timersPerEdit({ enableCoreExtensions: CORE_EXTENSIONS })).toBe(2);
  });

  it('keep editing itself: typed text and deletions still land', () => {
    const editor = new Editor({ enableCoreExtensions: CORE_EXTENSIONS, extensions: contentExtensions(), content: '<p>hello</p>' });
    try {
      editor.commands.insertContentAt(6, '!');
      editor.commands.deleteRange({ from: 1, to: 2 });
      expect(editor.getText()).toBe('ello!');
      expect(editor.extensionManager.extensions.some((e) => e.name === 'delete')).toBe(false);
    } finally {
      editor.destroy();
    }
  });
});
