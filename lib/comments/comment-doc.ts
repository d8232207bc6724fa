/**
 * Comments live inside the document, in the root Y.Map named `comments`: one Y.Map per thread,
 * keyed by its id, holding its fields, its anchors and a Y.Array of replies (each a Y.Map).
 * Being part of the Y.Doc, they sync offline, are stored, compacted and versioned with the text,
 * and the server limits a comment-only key to this one root type (docs/PROTOCOL.md, rule C1).
 *
 * Anyone who may comment can write anything into this map, so every read here validates what
 * it finds and skips what is not a well-formed thread or reply.
 */
import * as Y from 'yjs';
import { CONTENT_FIELD } from '../protocol';
import { newCommentId } from './comment-id';
import { indexText, resolveAnchors, type EncodedAnchors, type TextIndex } from './text-anchors';

/** The root Y.Map that holds every thread. */
export const COMMENTS_FIELD = 'comments';
/** Longest comment body, in characters. */
export const MAX_COMMENT_CHARS = 10_000;
/** Longest author name, in characters. */
export const MAX_AUTHOR_CHARS = 80;

/** Who wrote a comment: a name, and in the app a colour and this browser's random author id. */
export interface CommentAuthor {
  readonly name: string;
  readonly color: string | null;
  /** Lets the app offer "edit" and "delete" on this browser's own comments; not a security boundary. */
  readonly authorId: string | null;
}

export interface Reply {
  readonly id: string;
  readonly body: string;
  readonly author: CommentAuthor;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly editedAt: number | null;
}

export interface Thread extends Reply {
  readonly resolved: boolean;
  /** The text the thread was about when it was made; null for a comment on the whole document. */
  readonly quote: string | null;
  readonly anchors: EncodedAnchors | null;
  readonly replies: readonly Reply[];
}

export interface NewComment {
  readonly body: string;
  readonly author: CommentAuthor;
  readonly now: number;
  /** Given by tests; otherwise random. */
  readonly id?: string;
}

export function commentsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(COMMENTS_FIELD);
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const bytes = (value: unknown): Uint8Array | null => (value instanceof Uint8Array ? value : null);

function readReply(id: string, map: Y.Map<unknown>): Reply | null {
  const body = str(map.get('body'));
  const createdAt = num(map.get('createdAt'));
  if (body === null || createdAt === null) return null;
  return {
    id,
    body,
    author: { name: str(map.get('author')) ?? 'Someone', color: str(map.get('color')), authorId: str(map.get('authorId')) },
    createdAt,
    editedAt: num(map.get('editedAt')),
  };
}

function readThread(id: string, value: unknown): Thread | null {
  if (!(value instanceof Y.Map)) return null;
  const base = readReply(id, value);
  if (!base) return null;
  const start = bytes(value.get('start'));
  const end = bytes(value.get('end'));
  const repliesValue = value.get('replies');
  const replies: Reply[] = [];
  if (repliesValue instanceof Y.Array) {
    for (const item of repliesValue.toArray()) {
      if (!(item instanceof Y.Map)) continue;
      const replyId = str(item.get('id'));
      const reply = replyId === null ? null : readReply(replyId, item);
      if (reply) replies.push(reply);
    }
  }
  return {
    ...base,
    resolved: value.get('resolved') === true,
    quote: str(value.get('quote')),
    anchors: start && end ? { start, end, before: bytes(value.get('before')), after: bytes(value.get('after')) } : null,
    replies,
  };
}

/** Every well-formed thread, oldest first. */
export function readThreads(doc: Y.Doc): Thread[] {
  const threads: Thread[] = [];
  commentsMap(doc).forEach((value, id) => {
    const thread = readThread(id, value);
    if (thread) threads.push(thread);
  });
  return threads.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

function writeAuthor(map: Y.Map<unknown>, comment: NewComment): void {
  map.set('body', comment.body);
  map.set('author', comment.author.name);
  if (comment.author.color) map.set('color', comment.author.color);
  if (comment.author.authorId) map.set('authorId', comment.author.authorId);
  map.set('createdAt', comment.now);
}

/** Starts a thread, anchored to a passage (with the text it quotes) or to the whole document. */
export function addThread(doc: Y.Doc, comment: NewComment, anchor: { anchors: EncodedAnchors; quote: string } | null): string {
  const id = comment.id ?? newCommentId();
  const thread = new Y.Map<unknown>();
  doc.transact(() => {
    commentsMap(doc).set(id, thread);
    writeAuthor(thread, comment);
    thread.set('resolved', false);
    if (anchor) {
      thread.set('quote', anchor.quote);
      thread.set('start', anchor.anchors.start);
      thread.set('end', anchor.anchors.end);
      if (anchor.anchors.before) thread.set('before', anchor.anchors.before);
      if (anchor.anchors.after) thread.set('after', anchor.anchors.after);
    }
    thread.set('replies', new Y.Array<Y.Map<unknown>>());
  });
  return id;
}

function threadMap(doc: Y.Doc, threadId: string): Y.Map<unknown> | null {
  const value = commentsMap(doc).get(threadId);
  return value instanceof Y.Map && readThread(threadId, value) ? value : null;
}

/** Adds a reply to a thread; null if there is no such thread. */
export function addReply(doc: Y.Doc, threadId: string, comment: NewComment): string | null {
  const thread = threadMap(doc, threadId);
  if (!thread) return null;
  const id = comment.id ?? newCommentId();
  const reply = new Y.Map<unknown>();
  doc.transact(() => {
    let replies = thread.get('replies');
    if (!(replies instanceof Y.Array)) {
      replies = new Y.Array<Y.Map<unknown>>();
      thread.set('replies', replies);
    }
    (replies as Y.Array<Y.Map<unknown>>).push([reply]);
    reply.set('id', id);
    writeAuthor(reply, comment);
  });
  return id;
}

/** Resolves or reopens a thread; false if there is no such thread. */
export function setResolved(doc: Y.Doc, threadId: string, resolved: boolean): boolean {
  const thread = threadMap(doc, threadId);
  if (!thread) return false;
  if (thread.get('resolved') !== resolved) thread.set('resolved', resolved);
  return true;
}

/** Where a comment is: a thread, or a reply at some index of its thread. */
type Located = { kind: 'thread'; map: Y.Map<unknown> } | { kind: 'reply'; map: Y.Map<unknown>; replies: Y.Array<unknown>; index: number; threadId: string };

function locate(doc: Y.Doc, commentId: string): Located | null {
  const thread = threadMap(doc, commentId);
  if (thread) return { kind: 'thread', map: thread };
  for (const [threadId, value] of commentsMap(doc).entries()) {
    if (!(value instanceof Y.Map)) continue;
    const replies = value.get('replies');
    if (!(replies instanceof Y.Array)) continue;
    const index = replies.toArray().findIndex((reply) => reply instanceof Y.Map && reply.get('id') === commentId);
    const reply = replies.get(index);
    if (index >= 0 && reply instanceof Y.Map) return { kind: 'reply', map: reply, replies, index, threadId };
  }
  return null;
}

/** Whether `commentId` is a thread, a reply, or nothing. */
export function commentKind(doc: Y.Doc, commentId: string): 'thread' | 'reply' | null {
  return locate(doc, commentId)?.kind ?? null;
}

/** Replaces a comment's text; false if there is no such comment. */
export function editComment(doc: Y.Doc, commentId: string, body: string, now: number): boolean {
  const located = locate(doc, commentId);
  if (!located) return false;
  doc.transact(() => {
    located.map.set('body', body);
    located.map.set('editedAt', now);
  });
  return true;
}

/** Deletes a reply, or a whole thread with its replies; false if there is no such comment. */
export function deleteComment(doc: Y.Doc, commentId: string): boolean {
  const located = locate(doc, commentId);
  if (!located) return false;
  if (located.kind === 'thread') commentsMap(doc).delete(commentId);
  else located.replies.delete(located.index, 1);
  return true;
}

/** A thread as the text holds it now: where its passage is, or detached when all of it was deleted. */
export type PlacedThread = Thread & { readonly range: { readonly from: number; readonly to: number; readonly text: string } | null; readonly detached: boolean };

/** Every thread with its current place in the text (document-wide comments have none and are not detached). */
export function placeThreads(doc: Y.Doc, threads: readonly Thread[] = readThreads(doc), index?: TextIndex): PlacedThread[] {
  const fragment = doc.getXmlFragment(CONTENT_FIELD);
  const text = index ?? indexText(fragment);
  return threads.map((thread) => {
    if (!thread.anchors) return { ...thread, range: null, detached: false };
    const range = resolveAnchors(doc, fragment, text, thread.anchors);
    return range.kind === 'attached' ? { ...thread, range, detached: false } : { ...thread, range: null, detached: true };
  });
}
