'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { LinkRole } from '../../lib/roles';
import type { LinkInfo } from '../_lib/api';
import { documentLink } from '../_lib/key-fragment';
import { loadShareKeys, saveShareKey } from '../_lib/share-keys';
import { CopyField } from './copy-field';

const EXPIRY_OPTIONS = [
  { value: '', label: 'Never expires' },
  { value: String(3600e3), label: 'Expires in 1 hour' },
  { value: String(24 * 3600e3), label: 'Expires in 1 day' },
  { value: String(7 * 24 * 3600e3), label: 'Expires in 7 days' },
  { value: String(30 * 24 * 3600e3), label: 'Expires in 30 days' },
] as const;

/** The links API with its validators, loaded when the dialog first needs it rather than with the page. */
const linksApi = () => import('../_lib/api');

type LinkState = 'active' | 'revoked' | 'expired';

function linkState(link: LinkInfo, now: number): LinkState {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt && Date.parse(link.expiresAt) <= now) return 'expired';
  return 'active';
}

const ROLE_LABEL: Record<LinkRole, { chip: string; link: string }> = {
  edit: { chip: 'Can edit', link: 'Edit link' },
  comment: { chip: 'Can comment', link: 'Comment link' },
  view: { chip: 'Can view', link: 'View link' },
};
const isLinkRole = (value: string): value is LinkRole => value in ROLE_LABEL;

const formatDate = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The owner's sharing controls: make edit, comment or view links, copy them, revoke them. */
export function ShareDialog({ docId, ownerKey }: { docId: string; ownerKey: string }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [links, setLinks] = useState<LinkInfo[] | null>(null);
  const [keys, setKeys] = useState<Record<string, string>>({});
  const [role, setRole] = useState<LinkRole>('edit');
  const [expiry, setExpiry] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setLinks(await (await linksApi()).listLinks(docId, ownerKey));
      setKeys(loadShareKeys(docId));
      setError(null);
    } catch (err) {
      setError(`Could not load the links: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, [docId, ownerKey]);

  const open = () => {
    setFresh(null);
    dialogRef.current?.showModal();
    void refresh();
  };

  useEffect(() => {
    const dialog = dialogRef.current;
    // Clicking the backdrop closes, as people expect of a modal.
    const onClick = (event: MouseEvent) => {
      if (event.target === dialog) dialog?.close();
    };
    dialog?.addEventListener('click', onClick);
    return () => dialog?.removeEventListener('click', onClick);
  }, []);

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const expiresAt = expiry ? new Date(Date.now() + Number(expiry)) : null;
      const link = await (await linksApi()).createLink(docId, ownerKey, role, expiresAt);
      saveShareKey(docId, link.id, link.key);
      setFresh(link.id);
      await refresh();
    } catch (err) {
      setError(`Could not create the link: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (linkId: string) => {
    setError(null);
    try {
      await (await linksApi()).revokeLink(docId, ownerKey, linkId);
      await refresh();
    } catch (err) {
      setError(`Could not revoke the link: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const now = Date.now();
  const origin = typeof location === 'undefined' ? '' : location.origin;
  const sorted = [...(links ?? [])].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));

  return (
    <>
      <button type="button" className="button button-primary share-button" onClick={open} aria-haspopup="dialog">
        Share
      </button>
      <dialog ref={dialogRef} className="dialog share-dialog" aria-labelledby="share-title">
        <div className="dialog-head">
          <h2 id="share-title">Share this document</h2>
          <button type="button" className="icon-button" aria-label="Close" onClick={() => dialogRef.current?.close()}>
            ×
          </button>
        </div>
        <p className="muted">Anyone with a link can open the document. The key is in the part after #, which never reaches a server log.</p>

        <form
          className="share-create"
          onSubmit={(event) => {
            event.preventDefault();
            void create();
          }}
        >
          <label>
            <span className="visually-hidden">Access</span>
            <select aria-label="Access" value={role} onChange={(e) => setRole(isLinkRole(e.currentTarget.value) ? e.currentTarget.value : 'edit')}>
              {Object.entries(ROLE_LABEL).map(([value, label]) => (
                <option key={value} value={value}>
                  {label.chip}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className="visually-hidden">Expiry</span>
            <select aria-label="Expiry" value={expiry} onChange={(e) => setExpiry(e.currentTarget.value)}>
              {EXPIRY_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create link'}
          </button>
        </form>

        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}

        <h3 className="share-subhead">Owner link</h3>
        <p className="muted small">
          Opens this document as its owner on another device or browser: sharing, links and deleting included. Keep it to yourself.
        </p>
        <div className="owner-link" data-testid="owner-link">
          <CopyField value={documentLink(origin, docId, ownerKey)} label="Owner link" />
        </div>

        <h3 className="share-subhead">Links</h3>
        {links === null ? (
          <p className="muted">Loading…</p>
        ) : sorted.length === 0 ? (
          <p className="muted">No links yet. Only you can open this document.</p>
        ) : (
          <ul className="link-list" data-testid="link-list">
            {sorted.map((link) => {
              const state = linkState(link, now);
              const key = keys[link.id];
              return (
                <li key={link.id} className="link-row" data-state={state} data-role={link.role} data-fresh={fresh === link.id ? 'true' : undefined}>
                  <div className="link-info">
                    <span className={`role-chip role-${link.role}`}>{ROLE_LABEL[link.role].chip}</span>
                    <span className="link-meta">
                      Created {formatDate(link.createdAt)}
                      {state === 'revoked' ? ' · revoked' : state === 'expired' ? ' · expired' : link.expiresAt ? ` · expires ${formatDate(link.expiresAt)}` : ''}
                    </span>
                  </div>
                  {state === 'active' && key ? (
                    <CopyField value={documentLink(origin, docId, key)} label={ROLE_LABEL[link.role].link} />
                  ) : state === 'active' ? (
                    <p className="muted small">Created in another browser; its key is only there.</p>
                  ) : null}
                  {state === 'active' ? (
                    <button type="button" className="button button-danger" onClick={() => void revoke(link.id)}>
                      Revoke
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </dialog>
    </>
  );
}
