import * as Y from 'yjs';
import { z } from 'zod';
import {
  MAX_AUTHOR_CHARS,
  MAX_COMMENT_CHARS,
  addReply,
  addThread,
  commentKind,
  placeThreads,
  setResolved,
  type PlacedThread,
  type Reply,
} from '../../lib/comments/comment-doc';
import { anchorsForQuote } from '../../lib/comments/text-anchors';
import { CONTENT_FIELD, Paths } from '../../lib/protocol';
import { canComment } from '../../lib/roles';
import type { ApiDeps } from './api-deps';
import { anyRole, docIdFrom, requireRole } from './auth';
import { HttpError, readJson, sendJson } from './json';
import type { Route } from './router';
import { parsed } from './validate';

/** Who a comment made through the API is from when the request does not say. */
const DEFAULT_AUTHOR = 'Anonymous';

const CreateCommentBody = z
  .strictObject({
    body: z.string().trim().min(1).max(MAX_COMMENT_CHARS),
    author: z.string().trim().min(1).max(MAX_AUTHOR_CHARS).optional(),
    quote: z.string().min(1).max(MAX_COMMENT_CHARS).optional(),
    parentId: z.string().min(1).max(64).optional(),
  })
  .refine((body) => body.quote === undefined || body.parentId === undefined, { message: 'a reply has no quote: give quote or parentId, not both' });

const PatchCommentBody = z.strictObject({ resolved: z.boolean() });

function replyJson(reply: Reply) {
  return { id: reply.id, body: reply.body, author: reply.author.name, createdAt: new Date(reply.createdAt).toISOString() };
}

function threadJson(thread: PlacedThread) {
  return { ...replyJson(thread), resolved: thread.resolved, quote: thread.quote, detached: thread.detached, replies: thread.replies.map(replyJson) };
}

/** The thread `id` as JSON, as an outcome (never a throw: see changeComments). */
function threadOutcome(doc: Y.Doc, id: string): Outcome {
  const thread = placeThreads(doc).find((t) => t.id === id);
  return thread ? { kind: 'thread', json: threadJson(thread) } : { kind: 'error', error: new HttpError(500, 'the comment was written but cannot be read back') };
}

/** What a change to the comments came to; decided inside the change, answered after it is committed. */
type Outcome = { kind: 'thread'; json: ReturnType<typeof threadJson> } | { kind: 'reply'; json: ReturnType<typeof replyJson> & { parentId: string } } | { kind: 'ok' } | { kind: 'error'; error: HttpError };

/**
 * Comments over HTTP: list them with any key; add, reply and resolve with a key that may
 * comment (rule C2). Writes go through the registry like a client's update: committed, then
 * relayed, so they appear live in every open editor.
 */
export function commentRoutes(deps: ApiDeps): Route[] {
  const { storage, registry, scheduler } = deps;
  const COMMENTS = `^${Paths.docs}/([^/]+)/comments`;
  const commenter = (docId: ReturnType<typeof docIdFrom>, req: Parameters<Route['handle']>[0]['req']) =>
    requireRole(storage.links, docId, req, scheduler.now(), canComment, 'this key may only read: it cannot comment');

  /** Runs `decide` inside a server change; throws its error, if any, once the change is done. */
  async function changeComments(docId: ReturnType<typeof docIdFrom>, decide: (doc: Y.Doc) => Outcome): Promise<Outcome> {
    let outcome: Outcome = { kind: 'error', error: new HttpError(500, 'the change did not run') };
    // `decide` must not throw: a throw inside a change makes the room rebuild its document.
    await registry.change(docId, (doc) => {
      outcome = decide(doc);
    });
    if (outcome.kind === 'error') throw outcome.error;
    return outcome;
  }

  return [
    {
      method: 'GET',
      path: new RegExp(`${COMMENTS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await requireRole(storage.links, docId, req, scheduler.now(), anyRole, '');
        const doc = new Y.Doc();
        try {
          Y.applyUpdate(doc, await registry.readCommitted(docId));
          sendJson(res, 200, placeThreads(doc).map(threadJson));
        } finally {
          doc.destroy();
        }
      },
    },
    {
      method: 'POST',
      path: new RegExp(`${COMMENTS}$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        await commenter(docId, req);
        const input = parsed(CreateCommentBody, await readJson(req), 'comment');
        const comment = { body: input.body, author: { name: input.author ?? DEFAULT_AUTHOR, color: null, authorId: null }, now: scheduler.now() };
        const outcome = await changeComments(docId, (doc): Outcome => {
          if (input.parentId !== undefined) {
            const kind = commentKind(doc, input.parentId);
            if (kind === 'reply') return { kind: 'error', error: new HttpError(400, 'parentId is a reply: reply to its thread') };
            const id = addReply(doc, input.parentId, comment);
            if (id === null) return { kind: 'error', error: new HttpError(404, 'no such thread') };
            const reply: Reply = { id, body: comment.body, author: comment.author, createdAt: comment.now, editedAt: null };
            return { kind: 'reply', json: { ...replyJson(reply), parentId: input.parentId } };
          }
          let anchor = null;
          if (input.quote !== undefined) {
            const anchors = anchorsForQuote(doc.getXmlFragment(CONTENT_FIELD), input.quote);
            if (!anchors) return { kind: 'error', error: new HttpError(400, 'quote: that text is not in the document') };
            anchor = { anchors, quote: input.quote };
          }
          return threadOutcome(doc, addThread(doc, comment, anchor));
        });
        sendJson(res, 201, outcome.kind === 'thread' || outcome.kind === 'reply' ? outcome.json : {});
      },
    },
    {
      method: 'PATCH',
      path: new RegExp(`${COMMENTS}/([^/]+)$`),
      async handle({ req, res, params }) {
        const docId = docIdFrom(params[0]!);
        const commentId = params[1]!;
        await commenter(docId, req);
        const input = parsed(PatchCommentBody, await readJson(req), 'change');
        const outcome = await changeComments(docId, (doc): Outcome => {
          const kind = commentKind(doc, commentId);
          if (kind === null) return { kind: 'error', error: new HttpError(404, 'no such comment') };
          if (kind === 'reply') return { kind: 'error', error: new HttpError(400, 'a reply cannot be resolved: resolve its thread') };
          setResolved(doc, commentId, input.resolved);
          return threadOutcome(doc, commentId);
        });
        sendJson(res, 200, outcome.kind === 'thread' ? outcome.json : {});
      },
    },
  ];
}
