'use client';

import { useEffect, useRef, useState } from 'react';
import { MAX_COMMENT_CHARS } from '../../lib/comments/comment-doc';

/** A box to write a comment, a reply or an edit: Ctrl/⌘+Enter sends, Escape cancels. */
export function CommentForm(props: {
  label: string;
  submitLabel: string;
  initial?: string;
  placeholder?: string;
  autoFocus?: boolean;
  onSubmit: (body: string) => void;
  onCancel?: () => void;
}) {
  const [body, setBody] = useState(props.initial ?? '');
  const ref = useRef<HTMLTextAreaElement>(null);
  const trimmed = body.trim();

  useEffect(() => {
    if (props.autoFocus) ref.current?.focus();
  }, [props.autoFocus]);

  const submit = () => {
    if (!trimmed) return;
    props.onSubmit(trimmed);
    setBody('');
  };

  return (
    <form
      className="comment-form"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <textarea
        ref={ref}
        aria-label={props.label}
        placeholder={props.placeholder}
        value={body}
        maxLength={MAX_COMMENT_CHARS}
        rows={2}
        onChange={(event) => setBody(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.metaKey || event.ctrlKey)) {
            event.preventDefault();
            submit();
          } else if (event.key === 'Escape' && props.onCancel) {
            event.preventDefault();
            props.onCancel();
          }
        }}
      />
      <div className="comment-form-actions">
        {props.onCancel ? (
          <button type="button" className="button button-quiet" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="button button-primary" disabled={!trimmed}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}
