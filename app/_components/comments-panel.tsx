'use client';

import { useEffect, useState } from 'react';
import type { PlacedThread } from '../../lib/comments/comment-doc';
import type { EncodedAnchors } from '../../lib/comments/text-anchors';
import { CommentForm } from './comment-form';
import { CommentThread, type ThreadPermissions } from './comment-thread';

/** A passage selected for a new comment, waiting for its text. */
export interface CommentDraft {
  readonly anchors: EncodedAnchors;
  readonly quote: string;
}

/** Open threads in the order of their passages; detached and whole-document ones after them. */
function marginOrder(threads: readonly PlacedThread[]): PlacedThread[] {
  const place = (t: PlacedThread) => t.range?.from ?? Number.MAX_SAFE_INTEGER;
  return threads.filter((t) => !t.resolved).sort((a, b) => place(a) - place(b) || a.createdAt - b.createdAt);
}

/**
 * The margin: a new comment being written, the open threads, and the resolved ones, which leave
 * the margin and the text's highlights but stay listed under "Resolved".
 */
export function CommentsPanel(props: {
  threads: readonly PlacedThread[];
  permissions: ThreadPermissions;
  draft: CommentDraft | null;
  onDraftDone: () => void;
  activeId: string | null;
  onActivate: (threadId: string) => void;
}) {
  const { threads, permissions, draft, activeId, onActivate } = props;
  const [showResolved, setShowResolved] = useState(false);
  const open = marginOrder(threads);
  const resolved = threads.filter((t) => t.resolved);

  // The active thread (from a click on its passage) scrolls into view.
  useEffect(() => {
    if (!activeId) return;
    document.querySelector(`.comments-panel [data-thread-id="${CSS.escape(activeId)}"]`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [activeId]);

  const thread = (t: PlacedThread) => <CommentThread key={t.id} thread={t} permissions={permissions} active={t.id === activeId} onActivate={() => onActivate(t.id)} />;

  return (
    <aside className="comments-panel" aria-label="Comments" data-testid="comments">
      <h2 className="comments-title">
        Comments <span className="muted">{open.length > 0 ? open.length : ''}</span>
      </h2>
      {draft && permissions.actions ? (
        <div className="thread thread-draft" data-testid="comment-draft">
          <blockquote className="thread-quote">{draft.quote}</blockquote>
          <CommentForm
            label="New comment"
            submitLabel="Comment"
            placeholder="Add a comment…"
            autoFocus
            onSubmit={(body) => {
              const id = permissions.actions?.start(draft, body);
              props.onDraftDone();
              if (id) onActivate(id);
            }}
            onCancel={props.onDraftDone}
          />
        </div>
      ) : null}
      {open.length === 0 && !draft ? (
        <p className="muted small comments-empty">{permissions.actions ? 'Select text and choose Comment to start a discussion.' : 'No comments yet.'}</p>
      ) : null}
      <div className="thread-list" data-testid="open-threads">
        {open.map(thread)}
      </div>
      {resolved.length > 0 ? (
        <section className="resolved-threads">
          <button type="button" className="button button-quiet resolved-toggle" aria-expanded={showResolved} onClick={() => setShowResolved((s) => !s)}>
            Resolved ({resolved.length})
          </button>
          {showResolved ? (
            <div className="thread-list" data-testid="resolved-threads">
              {resolved.map(thread)}
            </div>
          ) : null}
        </section>
      ) : null}
    </aside>
  );
}
