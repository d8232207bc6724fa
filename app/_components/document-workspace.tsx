'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { canComment, canEdit, type Role } from '../../lib/roles';
import { loadIdentity, saveName, type Identity } from '../_lib/identity';
import { rememberDoc } from '../_lib/recent-docs';
import { useCollabSession, useSessionValue, type SessionSnapshot } from '../_lib/use-collab-session';
import { usePresence } from '../_lib/use-presence';
import { useFirstHeading } from '../_lib/use-first-heading';
import { useLeaveGuard } from '../_lib/use-leave-guard';
import { useSharedTitle } from '../_lib/use-shared-title';
import { CollabEditor } from './collab-editor';
import { ExportMenu } from './export-menu';
import { CommentIcon, EyeIcon } from './icons';
import { PresenceRow } from './presence-row';
import { RefusalScreen } from './refusal-screen';
import { ShareDialog } from './share-dialog';
import { StatusBadge } from './status-badge';
import { TitleField } from './title-field';
import { useDocumentComments } from './use-document-comments';
import { VersionHistory } from './version-history';

const selectSession = (snapshot: SessionSnapshot) => snapshot.session;
const selectRefusal = (snapshot: SessionSnapshot) => snapshot.status.refusal;
const selectLocalLoaded = (snapshot: SessionSnapshot) => snapshot.status.localLoaded;
const alwaysSaved = () => Promise.resolve(true);

/**
 * An open document: header (title, status, people, sharing) over the editor. It reads only the
 * parts of the session that change its layout; the save status, which changes with every
 * keystroke, is read by the badge alone.
 */
export function DocumentWorkspace({ docId, docKey, role, openedBefore }: { docId: string; docKey: string; role: Role; openedBefore: boolean }) {
  const [identity, setIdentity] = useState<Identity>(loadIdentity);
  const store = useCollabSession(docId, docKey, identity, openedBefore);
  const session = useSessionValue(store, selectSession);
  const refusal = useSessionValue(store, selectRefusal);
  const localLoaded = useSessionValue(store, selectLocalLoaded);
  const [title, setTitle] = useSharedTitle(session?.ydoc ?? null);
  const people = usePresence(session?.provider ?? null);
  const firstHeading = useFirstHeading(session?.ydoc ?? null);
  const editable = canEdit(role);
  const comments = useDocumentComments(session?.ydoc ?? null, identity, role);
  // Comment keys write too (comments): they are told what is saved like editors.
  const writes = canComment(role);
  useLeaveGuard(store, writes);
  const [historyOpen, setHistoryOpen] = useState(false);

  useEffect(() => {
    const shown = title.trim() || firstHeading || 'Untitled';
    document.title = `${shown} · Tandem`;
    if (localLoaded) rememberDoc(docId, { title: title.trim() || firstHeading });
  }, [docId, title, firstHeading, localLoaded]);

  if (refusal) return <RefusalScreen refusal={refusal} />;

  const rename = (name: string) => {
    const saved = saveName(name);
    if (saved) setIdentity((current) => ({ ...current, name: saved }));
  };

  return (
    <div className="workspace" data-role={role}>
      <header className="doc-header">
        {/* Not fetched ahead: that server render would compete with the document's first sync. */}
        <Link href="/" prefetch={false} className="brand brand-compact" aria-label="All documents">
          <span className="brand-mark" aria-hidden="true">T</span>
        </Link>
        <TitleField title={title} onChange={setTitle} readOnly={!editable || !session} suggestion={firstHeading} />
        <div className="doc-header-side">
          {role === 'view' ? (
            <span className="view-only-badge" data-testid="view-only" title="You can read this document but not change it">
              <EyeIcon /> View only
            </span>
          ) : role === 'comment' ? (
            <span className="view-only-badge comment-only-badge" data-testid="comment-only" title="You can comment on this document but not change its text">
              <CommentIcon /> Can comment
            </span>
          ) : null}
          <StatusBadge store={store} editable={writes} />
          <PresenceRow people={people} onRename={rename} />
          <ExportMenu docId={docId} docKey={docKey} title={title.trim() || firstHeading} whenSaved={writes ? store.whenSaved : alwaysSaved} />
          <button type="button" className="button history-button" aria-pressed={historyOpen} onClick={() => setHistoryOpen((open) => !open)} data-testid="history-button">
            History
          </button>
          {role === 'owner' ? <ShareDialog docId={docId} ownerKey={docKey} /> : null}
        </div>
      </header>
      {/* Shown only on paper: the printed page carries the title, unless the text starts with it. */}
      <p className="print-title" aria-hidden="true">
        {title.trim() === firstHeading ? '' : title.trim()}
      </p>
      {session ? (
        <VersionHistory open={historyOpen} onClose={() => setHistoryOpen(false)} docId={docId} docKey={docKey} role={role} ydoc={session.ydoc}>
          <CollabEditor
            key={session.ydoc.guid}
            ydoc={session.ydoc}
            provider={session.provider}
            user={identity}
            editable={editable}
            comments={comments}
          />
        </VersionHistory>
      ) : (
        <main id="main" className="loading-page" aria-busy="true">
          <div className="spinner" aria-hidden="true" />
          <p>Loading the document…</p>
        </main>
      )}
    </div>
  );
}
