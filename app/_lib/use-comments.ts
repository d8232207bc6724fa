/**
 * The document's comment threads, each with its current passage, kept current as the document
 * changes; and the actions this browser takes on them, written straight into the Y.Doc so they
 * work offline and sync like text (the server checks a comment-only key's changes, rule C1).
 */
import { useEffect, useMemo, useState } from 'react';
import type * as Y from 'yjs';
import {
  addReply,
  addThread,
  deleteComment,
  editComment,
  placeThreads,
  readThreads,
  setResolved,
  type CommentAuthor,
  type PlacedThread,
} from '../../lib/comments/comment-doc';
import { CONTENT_FIELD } from '../../lib/protocol';
import { indexText, type EncodedAnchors, type TextIndex } from '../../lib/comments/text-anchors';

export interface CommentsState {
  readonly threads: readonly PlacedThread[];
  /** The text index the threads' ranges are offsets into. */
  readonly index: TextIndex | null;
}

const EMPTY: CommentsState = { threads: [], index: null };

export function useComments(ydoc: Y.Doc | null): CommentsState {
  const [state, setState] = useState<CommentsState>(EMPTY);
  useEffect(() => {
    if (!ydoc) return;
    let frame = 0;
    let shown = EMPTY;
    const read = () => {
      frame = 0;
      const threads = readThreads(ydoc);
      // Most edits happen in documents without comments: then there is nothing to place, and
      // indexing the whole text and re-rendering the page on every keystroke would be waste.
      if (threads.length === 0 && shown.threads.length === 0) return;
      const index = indexText(ydoc.getXmlFragment(CONTENT_FIELD));
      shown = { threads: placeThreads(ydoc, threads, index), index };
      setState(shown);
    };
    // At most once a frame, after the editor has applied the same change.
    const schedule = () => {
      if (frame === 0) frame = requestAnimationFrame(read);
    };
    read();
    ydoc.on('update', schedule);
    return () => {
      ydoc.off('update', schedule);
      if (frame !== 0) cancelAnimationFrame(frame);
      setState(EMPTY);
    };
  }, [ydoc]);
  return state;
}

export interface CommentActions {
  start(draft: { anchors: EncodedAnchors; quote: string }, body: string): string;
  reply(threadId: string, body: string): void;
  resolve(threadId: string, resolved: boolean): void;
  edit(commentId: string, body: string): void;
  remove(commentId: string): void;
}

export function useCommentActions(ydoc: Y.Doc | null, author: CommentAuthor): CommentActions | null {
  const { name, color, authorId } = author;
  return useMemo(() => {
    if (!ydoc) return null;
    const who = { name, color, authorId };
    return {
      start: (draft, body) => addThread(ydoc, { body, author: who, now: Date.now() }, draft),
      reply: (threadId, body) => void addReply(ydoc, threadId, { body, author: who, now: Date.now() }),
      resolve: (threadId, resolved) => void setResolved(ydoc, threadId, resolved),
      edit: (commentId, body) => void editComment(ydoc, commentId, body, Date.now()),
      remove: (commentId) => void deleteComment(ydoc, commentId),
    };
  }, [ydoc, name, color, authorId]);
}
