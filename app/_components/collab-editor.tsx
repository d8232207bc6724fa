'use client';

import { Extension } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { Placeholder } from '@tiptap/extensions';
import { useRef, useState, type ReactNode } from 'react';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import type { PlacedThread } from '../../lib/comments/comment-doc';
import type { TextIndex } from '../../lib/comments/text-anchors';
import { contentExtensions } from '../../lib/content-schema';
import { MarkdownPaste } from '../../lib/markdown-paste';
import { CONTENT_FIELD } from '../../lib/protocol';
import { commentHighlights } from '../_lib/comment-highlights';
import { CORE_EXTENSIONS } from '../_lib/editor-core-extensions';
import type { Identity } from '../_lib/identity';
import { KeepStoredMarks } from '../_lib/keep-stored-marks';
import { LocalAutolink } from '../_lib/local-autolink';
import { othersOnly } from '../_lib/others-awareness';
import { useCommentHighlights } from '../_lib/use-comment-highlights';
import { useMountedEditor } from '../_lib/use-mounted-editor';
import type { CommentDraft } from './comments-panel';
import { EditorToolbar } from './editor-toolbar';
import { SelectionCommentButton } from './selection-comment-button';

/** The comments as the editor shows them: highlights, a button to comment on a selection, the margin. */
export interface EditorComments {
  readonly threads: readonly PlacedThread[];
  readonly index: TextIndex | null;
  readonly activeId: string | null;
  readonly onActivate: (threadId: string) => void;
  /** Null for people who may not comment. */
  readonly onStart: ((draft: CommentDraft) => void) | null;
  /** The margin, shown beside the text. */
  readonly margin: ReactNode;
}

/** Mod-k opens the link box; the toolbar owns the box, so the shortcut just asks for it. */
function linkShortcut(onRequest: () => void) {
  return Extension.create({
    name: 'tandemLinkShortcut',
    addKeyboardShortcuts: () => ({ 'Mod-k': () => (onRequest(), true) }),
  });
}

/** Renders a remote caret: a coloured bar with the person's name. */
function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = typeof user.color === 'string' ? user.color : '#888888';
  const name = typeof user.name === 'string' ? user.name : 'Someone';
  const caret = document.createElement('span');
  caret.className = 'collaboration-carets__caret';
  caret.style.borderColor = color;
  caret.setAttribute('data-name', name);
  const label = document.createElement('span');
  label.className = 'collaboration-carets__label';
  label.style.backgroundColor = color;
  label.textContent = name;
  caret.append(label);
  return caret;
}

/** The TipTap editor bound to the shared Y.XmlFragment; undo only touches this person's edits. */
export function CollabEditor(props: { ydoc: Y.Doc; provider: WebsocketProvider; user: Identity; editable: boolean; comments: EditorComments }) {
  const { ydoc, provider, editable, comments } = props;
  const [linkRequest, setLinkRequest] = useState(0);
  const userRef = useRef(props.user);
  const activateRef = useRef(comments.onActivate);
  activateRef.current = comments.onActivate;

  const { editor, mountRef } = useMountedEditor(
    () => ({
      editable,
      enableCoreExtensions: CORE_EXTENSIONS,
      extensions: [
        // The schema comes from one definition shared with the server's renderers and parsers.
        ...contentExtensions({ openLinksOnClick: !editable }),
        Placeholder.configure({ placeholder: editable ? 'Start writing, or type # for a heading…' : 'This document is empty.' }),
        Collaboration.configure({ document: ydoc, field: CONTENT_FIELD }),
        KeepStoredMarks,
        LocalAutolink,
        CollaborationCaret.configure({ provider: { awareness: othersOnly(provider.awareness) }, user: userRef.current, render: renderCaret }),
        linkShortcut(() => setLinkRequest((n) => n + 1)),
        commentHighlights((threadId) => activateRef.current(threadId)),
        MarkdownPaste,
      ],
      editorProps: {
        attributes: {
          'aria-label': 'Document text',
          'aria-readonly': editable ? 'false' : 'true',
          spellcheck: 'true',
        },
      },
    }),
    // A role is fixed for the page; should it change, the editor is rebuilt for it.
    [ydoc, provider, editable],
  );

  useCommentHighlights(editor, comments.threads, comments.index, comments.activeId);

  return (
    <>
      {editable && editor ? <EditorToolbar editor={editor} linkRequest={linkRequest} /> : null}
      <main id="main" className="page page-with-comments">
        <article className="paper">
          <div ref={mountRef} className="editor" />
          {editor && comments.onStart ? <SelectionCommentButton editor={editor} onStart={comments.onStart} /> : null}
        </article>
        {comments.margin}
      </main>
    </>
  );
}
