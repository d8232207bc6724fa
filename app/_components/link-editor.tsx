'use client';

import type { Editor } from '@tiptap/core';
import { useEffect, useRef, useState } from 'react';
import { normalizeHref } from '../_lib/safe-href';

/** A small box under the toolbar to add, change or remove the link at the selection. */
export function LinkEditor({ editor, onClose }: { editor: Editor; onClose: () => void }) {
  const current = (editor.getAttributes('link').href as string | undefined) ?? '';
  const [href, setHref] = useState(current);
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  useEffect(() => inputRef.current?.focus(), []);

  const close = () => {
    onClose();
    editor.commands.focus();
  };

  return (
    <form
      className="popover link-editor"
      aria-label="Link"
      onSubmit={(event) => {
        event.preventDefault();
        if (!href.trim()) {
          editor.chain().focus().extendMarkRange('link').unsetLink().run();
          onClose();
          return;
        }
        const normalized = normalizeHref(href);
        if (!normalized) {
          setError('Use a web address (https://…) or an email link (mailto:…).');
          return;
        }
        const { empty } = editor.state.selection;
        const chain = editor.chain().focus().extendMarkRange('link');
        // With nothing selected, insert the address itself as the link text.
        if (empty && !current) chain.insertContent({ type: 'text', text: href.trim(), marks: [{ type: 'link', attrs: { href: normalized } }] }).run();
        else chain.setLink({ href: normalized }).run();
        onClose();
      }}
      onKeyDown={(event) => {
        if (event.key === 'Escape') close();
      }}
    >
      <label htmlFor="link-href">Link address</label>
      <div className="popover-row">
        <input
          id="link-href"
          ref={inputRef}
          type="text"
          inputMode="url"
          placeholder="https://example.com"
          value={href}
          onChange={(event) => {
            setHref(event.currentTarget.value);
            setError(null);
          }}
        />
        <button type="submit" className="button button-primary">
          Apply
        </button>
        {current ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              editor.chain().focus().extendMarkRange('link').unsetLink().run();
              onClose();
            }}
          >
            Remove
          </button>
        ) : null}
        <button type="button" className="button button-quiet" onClick={close}>
          Cancel
        </button>
      </div>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </form>
  );
}
