'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { createDocument } from '../_lib/api';
import { ApiError } from '../_lib/http';
import { rememberDoc } from '../_lib/recent-docs';
import { PlusIcon } from './icons';

/** Creates a document, keeps its owner key in this browser and opens it. */
export function NewDocumentButton() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const onClick = async () => {
    setBusy(true);
    setError(null);
    try {
      const { id, ownerKey } = await createDocument();
      rememberDoc(id, { key: ownerKey, role: 'owner', title: '', lastOpened: Date.now() });
      router.push(`/d/${encodeURIComponent(id)}`);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 0
          ? 'You are offline. A new document needs the server; try again when you are back online.'
          : `Could not create a document: ${err instanceof Error ? err.message : String(err)}`,
      );
      setBusy(false);
    }
  };

  return (
    <div className="new-doc">
      <button type="button" className="button button-primary button-large" onClick={onClick} disabled={busy}>
        <PlusIcon /> {busy ? 'Creating…' : 'New document'}
      </button>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
