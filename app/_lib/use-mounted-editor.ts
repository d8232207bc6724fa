/**
 * A TipTap editor created straight into its element, once per `deps`.
 *
 * `useEditor` with `<EditorContent>` builds the view in a detached element and then moves it
 * into the page: that move re-applies every option and re-creates every node view (the task
 * list has one), and each is a full pass over the document; every later render of the
 * component re-applies the options once more, and the collaboration binding compares the whole
 * document on each. With 100,000 characters each pass costs a few hundred milliseconds, about
 * two thirds of opening the document. The app has no React node views, which are what
 * `<EditorContent>` is for, so here the view is built once, in place.
 */
import { Editor, type EditorOptions } from '@tiptap/core';
import { useCallback, useEffect, useRef, useState, type DependencyList, type RefCallback } from 'react';

export interface MountedEditor {
  /** Null until the element is in the page and the editor is built in it. */
  readonly editor: Editor | null;
  /** Give this to the element the editor lives in. */
  readonly mountRef: RefCallback<HTMLElement>;
}

/** `options()` is read when the editor is built; a change of `deps` builds a new one. */
export function useMountedEditor(options: () => Partial<EditorOptions>, deps: DependencyList): MountedEditor {
  const [element, setElement] = useState<HTMLElement | null>(null);
  const [editor, setEditor] = useState<Editor | null>(null);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const mountRef = useCallback((node: HTMLElement | null) => setElement(node), []);

  useEffect(() => {
    if (!element) return;
    const created = new Editor({ ...optionsRef.current(), element });
    setEditor(created);
    return () => {
      setEditor(null);
      created.destroy();
    };
  }, [element, ...deps]);

  return { editor, mountRef };
}
