'use client';

import { useCallback, useMemo, useState } from 'react';
import type * as Y from 'yjs';
import { canComment, type Role } from '../../lib/roles';
import { loadAuthorId, type Identity } from '../_lib/identity';
import { useCommentActions, useComments } from '../_lib/use-comments';
import type { EditorComments } from './collab-editor';
import { CommentsPanel, type CommentDraft } from './comments-panel';

/** Everything the editor needs for comments, for this person's role (view keys read only). */
export function useDocumentComments(ydoc: Y.Doc | null, identity: Identity, role: Role): EditorComments {
  const { threads, index } = useComments(ydoc);
  const [authorId] = useState(loadAuthorId);
  const actions = useCommentActions(ydoc, { name: identity.name, color: identity.color, authorId });
  const [draft, setDraft] = useState<CommentDraft | null>(null);
  const [activeId, setActiveId] = useState<string | null>(null);
  const permissions = useMemo(() => ({ actions: canComment(role) ? actions : null, authorId }), [role, actions, authorId]);
  const onStart = useCallback((next: CommentDraft) => setDraft(next), []);

  return {
    threads,
    index,
    activeId,
    onActivate: setActiveId,
    onStart: permissions.actions ? onStart : null,
    margin: (
      <CommentsPanel
        threads={threads}
        permissions={permissions}
        draft={draft}
        onDraftDone={() => setDraft(null)}
        activeId={activeId}
        onActivate={setActiveId}
      />
    ),
  };
}
