'use client';

import Link from 'next/link';
import { useSyncExternalStore } from 'react';
import { forgetDoc, listRecentDocs, subscribeRecentDocs, type RecentDoc } from '../_lib/recent-docs';
import { DeleteDocumentButton } from './delete-document-button';
import { RelativeTime } from './relative-time';

const ROLE_LABEL = { owner: 'Owner', edit: 'Can edit', comment: 'Can comment', view: 'View only' } as const;

/** The list lives in localStorage, so the server renders nothing and the browser fills it in. */
export function RecentDocuments() {
  const docs = useSyncExternalStore<readonly RecentDoc[] | null>(subscribeRecentDocs, listRecentDocs, () => null);
  if (docs === null) return <p className="muted">Loading…</p>;
  if (docs.length === 0) {
    return <p className="empty-state">No documents yet. Start one above, or open a link someone shared with you.</p>;
  }
  return (
    <ul className="doc-list">
      {docs.map((doc) => (
        <li key={doc.id} className="doc-row">
          {/* The key is remembered in this browser, so the link needs no fragment. */}
          <Link className="doc-link" href={`/d/${encodeURIComponent(doc.id)}`}>
            <span className="doc-title">{doc.title || 'Untitled'}</span>
            <span className="doc-meta">
              <span className={`role-chip role-${doc.role}`}>{ROLE_LABEL[doc.role]}</span>
              <span>
                Opened <RelativeTime time={doc.lastOpened} />
              </span>
            </span>
          </Link>
          {doc.role === 'owner' && doc.key ? <DeleteDocumentButton doc={doc} /> : null}
          <button
            type="button"
            className="icon-button"
            aria-label={`Remove “${doc.title || 'Untitled'}” from this list`}
            title="Remove from this list"
            onClick={() => forgetDoc(doc.id)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
