'use client';

import { useRef, useState } from 'react';
import { deleteDocument } from '../_lib/api';
import { ApiError } from '../_lib/http';
import { forgetDoc, type RecentDoc } from '../_lib/recent-docs';

/** The owner's delete, behind a confirmation: the document goes for everyone, for good. */
export function DeleteDocumentButton({ doc }: { doc: RecentDoc }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = doc.title || 'Untitled';

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await deleteDocument(doc.id, doc.key);
      dialogRef.current?.close();
      forgetDoc(doc.id);
    } catch (err) {
      // Already gone (deleted from another device): nothing left to delete, just forget it.
      if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
        dialogRef.current?.close();
        forgetDoc(doc.id);
        return;
      }
      setError(`Could not delete: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className="button button-danger button-small"
        onClick={() => {
          setError(null);
          dialogRef.current?.showModal();
        }}
      >
        Delete
      </button>
      <dialog ref={dialogRef} className="dialog confirm-dialog" aria-labelledby={`delete-${doc.id}`}>
        <h2 id={`delete-${doc.id}`}>Delete “{name}”?</h2>
        <p>
          The document, its history and every link to it are deleted for everyone. People who have it open are disconnected. This cannot be
          undone.
        </p>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => dialogRef.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="button button-danger-solid" onClick={() => void confirm()} disabled={busy}>
            {busy ? 'Deleting…' : 'Delete document'}
          </button>
        </div>
      </dialog>
    </>
  );
}
