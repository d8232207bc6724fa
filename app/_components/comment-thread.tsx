'use client';

import { useState } from 'react';
import type { PlacedThread, Reply } from '../../lib/comments/comment-doc';
import { initials } from '../_lib/identity';
import type { CommentActions } from '../_lib/use-comments';
import { CommentForm } from './comment-form';
import { RelativeTime } from './relative-time';

/** What a person may do with a thread: `actions` is null for a view key. */
export interface ThreadPermissions {
  readonly actions: CommentActions | null;
  /** This browser's author id: its own comments may be edited and deleted. */
  readonly authorId: string;
}

function CommentItem({ comment, permissions, onDelete }: { comment: Reply; permissions: ThreadPermissions; onDelete: () => void }) {
  const [editing, setEditing] = useState(false);
  const { actions } = permissions;
  const own = actions !== null && comment.author.authorId === permissions.authorId;
  const color = comment.author.color ?? '#868e96';
  return (
    <div className="comment" data-comment-id={comment.id}>
      <div className="comment-head">
        <span className="avatar avatar-small" style={{ backgroundColor: color }} aria-hidden="true">
          {initials(comment.author.name)}
        </span>
        <span className="comment-author">{comment.author.name}</span>
        <span className="comment-time">
          <RelativeTime time={comment.createdAt} />
          {comment.editedAt !== null ? ' · edited' : ''}
        </span>
        {own && !editing ? (
          <span className="comment-tools">
            <button type="button" className="link-button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="link-button link-button-danger" onClick={onDelete}>
              Delete
            </button>
          </span>
        ) : null}
      </div>
      {editing && actions ? (
        <CommentForm
          label="Edit comment"
          submitLabel="Save"
          initial={comment.body}
          autoFocus
          onSubmit={(body) => {
            actions.edit(comment.id, body);
            setEditing(false);
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <p className="comment-body">{comment.body}</p>
      )}
    </div>
  );
}

/** One thread: the passage it is about, its comments, a reply box, resolve or reopen. */
export function CommentThread(props: { thread: PlacedThread; permissions: ThreadPermissions; active: boolean; onActivate: () => void }) {
  const { thread, permissions, active } = props;
  const { actions } = permissions;
  const [replying, setReplying] = useState(false);
  const removeThread = () => {
    if (thread.replies.length === 0 || confirm('Delete this comment and its replies?')) actions?.remove(thread.id);
  };
  return (
    <article
      className="thread"
      data-thread-id={thread.id}
      data-active={active ? 'true' : undefined}
      data-resolved={thread.resolved ? 'true' : undefined}
      data-detached={thread.detached ? 'true' : undefined}
      aria-label={`Comment by ${thread.author.name}`}
      onClick={(event) => {
        if (!(event.target instanceof HTMLElement) || !event.target.closest('button, textarea, a')) props.onActivate();
      }}
    >
      {thread.quote !== null ? (
        // The passage as it reads now; once it is gone, the text it was about.
        <blockquote className="thread-quote" title={thread.detached ? 'The text this was about' : 'Show in the text'}>
          {thread.range?.text ?? thread.quote}
        </blockquote>
      ) : null}
      {thread.detached ? <p className="thread-detached">The text this was about was deleted.</p> : null}
      <CommentItem comment={thread} permissions={permissions} onDelete={removeThread} />
      {thread.replies.map((reply) => (
        <CommentItem key={reply.id} comment={reply} permissions={permissions} onDelete={() => actions?.remove(reply.id)} />
      ))}
      {actions ? (
        <div className="thread-actions">
          {replying ? (
            <CommentForm
              label="Reply"
              submitLabel="Reply"
              placeholder="Reply…"
              autoFocus
              onSubmit={(body) => {
                actions.reply(thread.id, body);
                setReplying(false);
              }}
              onCancel={() => setReplying(false)}
            />
          ) : (
            <>
              {thread.resolved ? null : (
                <button type="button" className="button button-quiet" onClick={() => setReplying(true)}>
                  Reply
                </button>
              )}
              <button type="button" className="button button-quiet" onClick={() => actions.resolve(thread.id, !thread.resolved)}>
                {thread.resolved ? 'Reopen' : 'Resolve'}
              </button>
            </>
          )}
        </div>
      ) : null}
    </article>
  );
}
