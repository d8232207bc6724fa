'use client';

import { useEffect, useState } from 'react';
import type * as Y from 'yjs';
import { ApiError } from '../_lib/http';
import { liveDocument, renderComparison, renderDocument } from '../_lib/version-rendering';
import { readVersion, restoreVersion, type ListedVersion } from '../_lib/versions-api';

const CURRENT = 'current';
const NONE = '';

const label = (version: ListedVersion) => `${version.name ?? 'Automatic version'} · ${new Date(version.createdAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`;

/**
 * One version, read-only, rendered as rich text in place of the live editor. Compared with the
 * current document or another version, it shows the newer of the two with what changed marked.
 */
export function VersionView({
  docId,
  docKey,
  ydoc,
  version,
  versions,
  canRestore,
  onBack,
  onRestored,
}: {
  docId: string;
  docKey: string;
  ydoc: Y.Doc;
  version: ListedVersion;
  versions: ListedVersion[];
  canRestore: boolean;
  onBack: () => void;
  /** Called with the id of the version that keeps the state before the restore. */
  onRestored: (beforeId: string) => Promise<void>;
}) {
  const [against, setAgainst] = useState(NONE);
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [restoring, setRestoring] = useState(false);

  useEffect(() => {
    let cancelled = false;
    setHtml(null);
    (async () => {
      const shown = await readVersion(docId, docKey, version.id);
      if (against === NONE) return renderDocument(shown);
      if (against === CURRENT) return renderComparison(shown, liveDocument(ydoc));
      const other = versions.find((v) => v.id === against);
      const otherDoc = await readVersion(docId, docKey, against);
      // Always from the older to the newer, so "added" means added as time went on.
      const otherIsNewer = other !== undefined && Date.parse(other.createdAt) >= Date.parse(version.createdAt);
      return otherIsNewer ? renderComparison(shown, otherDoc) : renderComparison(otherDoc, shown);
    })().then(
      (rendered) => {
        if (!cancelled) setHtml(rendered);
      },
      (err: unknown) => {
        if (!cancelled) setError(`Could not show this version: ${err instanceof ApiError || err instanceof Error ? err.message : String(err)}`);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [docId, docKey, version.id, against, versions, ydoc]);

  const restore = async () => {
    setRestoring(true);
    try {
      const before = await restoreVersion(docId, docKey, version.id);
      await onRestored(before.id);
    } catch (err) {
      setError(`Could not restore: ${err instanceof Error ? err.message : String(err)}`);
      setRestoring(false);
      setConfirming(false);
    }
  };

  return (
    <main id="main" className="page version-page" data-testid="version-view">
      <div className="version-bar">
        <button type="button" className="button" onClick={onBack} data-testid="version-back">
          ← Back to the live document
        </button>
        <span className="version-bar-title">{label(version)}</span>
        <label className="version-compare">
          Compare with{' '}
          <select value={against} onChange={(e) => setAgainst(e.target.value)} data-testid="version-compare">
            <option value={NONE}>nothing</option>
            <option value={CURRENT}>the current document</option>
            {versions
              .filter((v) => v.id !== version.id)
              .map((v) => (
                <option key={v.id} value={v.id}>
                  {label(v)}
                </option>
              ))}
          </select>
        </label>
        {canRestore ? (
          confirming ? (
            <span className="version-confirm" role="group" aria-label="Confirm restore">
              Replace the live document with this version?{' '}
              <button type="button" className="button button-primary" disabled={restoring} onClick={() => void restore()} data-testid="version-restore-confirm">
                Restore
              </button>
              <button type="button" className="button" disabled={restoring} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </span>
          ) : (
            <button type="button" className="button" onClick={() => setConfirming(true)} data-testid="version-restore">
              Restore this version
            </button>
          )
        ) : null}
      </div>
      {against !== NONE ? (
        <p className="version-legend muted">
          <ins>Added</ins> and <del>removed</del> {against === CURRENT ? 'between this version and the current document' : 'between the older and the newer version'}.
        </p>
      ) : null}
      {error ? <p className="form-error">{error}</p> : null}
      <article className="paper">
        {html === null ? (
          <p className="muted">Loading…</p>
        ) : (
          // HTML from the document schema's renderer (text escaped) plus the comparison's <ins>/<del>.
          <div className="editor version-content" data-testid="version-content">
            <div className="tiptap" dangerouslySetInnerHTML={{ __html: html }} />
          </div>
        )}
      </article>
    </main>
  );
}
