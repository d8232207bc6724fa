'use client';

import { useLayoutEffect, useRef } from 'react';
import { diffToSplice } from '../../lib/text-diff';
import { MAX_TITLE_LENGTH } from '../_lib/use-shared-title';

/**
 * The shared title. Uncontrolled, so a remote edit can be merged in while keeping this person's
 * caret where it was (shifted by what was inserted or deleted before it).
 */
export function TitleField({ title, onChange, readOnly, suggestion = '' }: { title: string; onChange: (title: string) => void; readOnly: boolean; suggestion?: string }) {
  const ref = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    const input = ref.current;
    if (!input || input.value === title) return;
    const focused = document.activeElement === input;
    const start = input.selectionStart ?? 0;
    const end = input.selectionEnd ?? 0;
    const splice = diffToSplice(input.value, title);
    input.value = title;
    if (!focused || !splice) return;
    const shift = (pos: number) =>
      pos <= splice.index ? pos : pos >= splice.index + splice.deleteCount ? pos - splice.deleteCount + splice.insert.length : splice.index + splice.insert.length;
    input.setSelectionRange(shift(start), shift(end));
  }, [title]);

  return (
    <input
      ref={ref}
      className="title-field"
      aria-label="Document title"
      placeholder={suggestion || 'Untitled'}
      defaultValue={title}
      maxLength={MAX_TITLE_LENGTH}
      readOnly={readOnly}
      spellCheck
      onChange={(event) => onChange(event.currentTarget.value)}
      onKeyDown={(event) => {
        // Tab or → at the end of an empty title takes the suggestion (the first heading).
        if (suggestion && event.currentTarget.value === '' && (event.key === 'Tab' || event.key === 'ArrowRight') && !readOnly) {
          event.preventDefault();
          event.currentTarget.value = suggestion;
          onChange(suggestion);
          return;
        }
        // Enter moves on to the text, like in a word processor.
        if (event.key === 'Enter') {
          event.preventDefault();
          document.querySelector<HTMLElement>('.tiptap')?.focus();
        }
      }}
    />
  );
}
