'use client';

import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import type * as Y from 'yjs';
import { canEdit, type Role } from '../../lib/roles';
import { ApiError } from '../_lib/http';
import type { ListedVersion } from '../_lib/versions-api';
import { RelativeTime } from './relative-time';

/*
 * The versions API (with its validators) and the version view (with its diff and renderer) load
 * when the history is first opened, not with the page: the open of a document does not wait on them.
 */
const versionsApi = () => import('../_lib/versions-api');
const VersionView = lazy(() => import('./version-view').then(({ VersionView }) => ({ default: VersionView })));

/** How often the open list asks for new automatic versions. */
const REFRESH_MS = 15_000;

const message = (error: unknown) => (error instanceof ApiError || error instanceof Error ? error.message : String(error));

/**
 * The history beside the document: versions newest first (named ones stand out), naming the
 * current state, and, for the selected version, a read-only view in place of the live editor
 * with compare and restore. `children` is the live editor; it stays mounted (hidden) while a
 * version is shown, so nothing the person was doing is lost.
 */
export function VersionHistory({
  open,
  onClose,
  docId,
  docKey,
  role,
  ydoc,
  children,
}: {
  open: boolean;
  onClose: () => void;
  docId: string;
  docKey: string;
  role: Role;
  ydoc: Y.Doc;
  children: ReactNode;
}) {
  const [versions, setVersions] = useState<ListedVersion[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The last restore made here, undoable by restoring the version that kept the state before it. */
  const [lastRestore, setLastRestore] = useState<{ beforeId: string; label: string } | null>(null);
  const editable = canEdit(role);

  const refresh = useCallback(async () => {
    try {
      setVersions(await (await versionsApi()).listVersions(docId, docKey));
      setError(null);
    } catch (err) {
      setError(`Could not load the history: ${message(err)}`);
    }
  }, [docId, docKey]);

  useEffect(() => {
    if (!open) {
      setSelected(null);
      return;
    }
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [open, refresh]);

  const saveName = async (event: React.FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    setBusy(true);
    try {
      await (await versionsApi()).nameVersion(docId, docKey, trimmed);
      setName('');
      await refresh();
    } catch (err) {
      setError(`Could not name the version: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const undoRestore = async () => {
    if (!lastRestore) return;
    setBusy(true);
    try {
      await (await versionsApi()).restoreVersion(docId, docKey, lastRestore.beforeId);
      setLastRestore(null);
      await refresh();
    } catch (err) {
      setError(`Could not undo the restore: ${message(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const shown = selected ? versions?.find((v) => v.id === selected) ?? null : null;

  return (
    <div className="history-layout" data-open={open}>
      <div className="history-main">
        {open && shown && versions ? (
          <Suspense fallback={<p className="muted">Loading the version…</p>}>
            <VersionView
              key={shown.id}
              docId={docId}
              docKey={docKey}
              ydoc={ydoc}
              version={shown}
              versions={versions}
              canRestore={editable}
              onBack={() => setSelected(null)}
              onRestored={async (beforeId) => {
                setLastRestore({ beforeId, label: shown.name ?? 'Automatic version' });
                setSelected(null);
                await refresh();
              }}
            />
          </Suspense>
        ) : null}
        <div className="history-live" hidden={open && shown !== null}>
          {children}
        </div>
      </div>
      {open ? (
        <aside className="history-panel" aria-label="Version history" data-testid="history-panel">
          <div className="history-head">
            <h2 className="comments-title">History</h2>
            <button type="button" className="link-button" onClick={onClose}>
              Close
            </button>
          </div>
          {editable ? (
            <form className="history-name" onSubmit={saveName}>
              <input
                aria-label="Version name"
                placeholder="Name the current version"
                value={name}
                maxLength={200}
                onChange={(e) => setName(e.target.value)}
                data-testid="version-name-input"
              />
              <button type="submit" className="button button-primary" disabled={busy || !name.trim()} data-testid="version-name-save">
                Name current version
              </button>
            </form>
          ) : null}
          {lastRestore ? (
            <div className="history-restored" role="status" data-testid="restore-done">
              <span>Restored “{lastRestore.label}”.</span>
              <button type="button" className="button" disabled={busy} onClick={() => void undoRestore()} data-testid="restore-undo">
                Undo restore
              </button>
            </div>
          ) : null}
          {error ? <p className="form-error">{error}</p> : null}
          {versions === null ? (
            <p className="muted">Loading…</p>
          ) : versions.length === 0 ? (
            <p className="muted comments-empty">No versions yet. One is kept after a pause in editing, every few minutes while people type, and when everyone has left.</p>
          ) : (
            <ol className="version-list">
              {versions.map((version) => (
                <li key={version.id}>
                  <button
                    type="button"
                    className="version-item"
                    data-named={version.name !== null}
                    data-selected={version.id === selected}
                    aria-current={version.id === selected}
                    onClick={() => setSelected(version.id)}
                    data-testid="version-item"
                  >
                    <span className="version-name">{version.name ?? 'Automatic version'}</span>
                    <span className="version-meta">
                      <RelativeTime time={Date.parse(version.createdAt)} />
                      {version.authors.length > 0 ? ` · ${version.authors.join(', ')}` : null}
                    </span>
                  </button>
                </li>
              ))}
            </ol>
          )}
        </aside>
      ) : null}
    </div>
  );
}
