/** The text of the document's first heading, live: the title field suggests it while empty. */
import { useEffect, useState } from 'react';
import * as Y from 'yjs';
import { CONTENT_FIELD } from '../../lib/protocol';

function textOf(element: Y.XmlElement): string {
  let text = '';
  for (const child of element.toArray()) {
    if (child instanceof Y.XmlText) {
      for (const op of child.toDelta() as Array<{ insert?: unknown }>) if (typeof op.insert === 'string') text += op.insert;
    } else if (child instanceof Y.XmlElement) text += textOf(child);
  }
  return text;
}

/** The first top-level heading's text, trimmed; '' when there is none. */
export function firstHeading(fragment: Y.XmlFragment): string {
  for (const block of fragment.toArray()) {
    if (block instanceof Y.XmlElement && block.nodeName === 'heading') {
      const text = textOf(block).replace(/\s+/g, ' ').trim();
      if (text) return text;
    }
  }
  return '';
}

/** Reading the heading walks the document's first blocks: at most once per this, not per keystroke. */
const THROTTLE_MS = 200;

export function useFirstHeading(ydoc: Y.Doc | null): string {
  const [heading, setHeading] = useState('');
  useEffect(() => {
    if (!ydoc) return;
    const fragment = ydoc.getXmlFragment(CONTENT_FIELD);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () => {
      timer = undefined;
      setHeading(firstHeading(fragment));
    };
    // Trailing: a change is read THROTTLE_MS later, with every change made meanwhile, so the
    // last one always lands and the keystroke's own task does none of it.
    const update = () => {
      timer ??= setTimeout(read, THROTTLE_MS);
    };
    read();
    fragment.observeDeep(update);
    return () => {
      clearTimeout(timer);
      fragment.unobserveDeep(update);
    };
  }, [ydoc]);
  return heading;
}
