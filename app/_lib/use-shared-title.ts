/**
 * The document title: a Y.Text edited by anyone. Local edits are applied as one minimal splice
 * so two people typing in the title at once both keep their letters.
 */
import { useCallback, useEffect, useState } from 'react';
import type * as Y from 'yjs';
import { MAX_TITLE_CHARS } from '../../lib/content-format';
import { TITLE_FIELD } from '../../lib/protocol';
import { diffToSplice } from '../../lib/text-diff';

export const MAX_TITLE_LENGTH = MAX_TITLE_CHARS;

export function useSharedTitle(ydoc: Y.Doc | null): [string, (next: string) => void] {
  const [title, setTitleState] = useState('');
  useEffect(() => {
    if (!ydoc) return;
    const text = ydoc.getText(TITLE_FIELD);
    const update = () => setTitleState(text.toString());
    update();
    text.observe(update);
    return () => text.unobserve(update);
  }, [ydoc]);

  const setTitle = useCallback(
    (next: string) => {
      if (!ydoc) return;
      const text = ydoc.getText(TITLE_FIELD);
      const splice = diffToSplice(text.toString(), next.replace(/\s*\n\s*/g, ' ').slice(0, MAX_TITLE_LENGTH));
      if (!splice) return;
      ydoc.transact(() => {
        if (splice.deleteCount > 0) text.delete(splice.index, splice.deleteCount);
        if (splice.insert) text.insert(splice.index, splice.insert);
      });
    },
    [ydoc],
  );
  return [title, setTitle];
}
