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

export function useFirstHeading(ydoc: Y.Doc | null): string {
  const [heading, setHeading] = useState('');
  useEffect(() => {
    if (!ydoc) return;
    const fragment = ydoc.getXmlFragment(CONTENT_FIELD);
    const update = () => setHeading(firstHeading(fragment));
    update();
    fragment.observeDeep(update);
    return () => fragment.unobserveDeep(update);
  }, [ydoc]);
  return heading;
}
