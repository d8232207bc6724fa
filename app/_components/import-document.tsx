'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { formatOfFileName } from '../../lib/content-format';
import { createDocument } from '../_lib/api';
import { ApiError } from '../_lib/http';
import { rememberDoc } from '../_lib/recent-docs';

/** What the picker offers; anything the server parses (Markdown, HTML, text) may also be dropped. */
const ACCEPT = '.md,.markdown,.html,.htm,.txt,text/markdown,text/html,text/plain';

const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') === true;

/**
 * Import: a Markdown, HTML or text file chosen with the picker or dropped anywhere on the page
 * becomes a new document (the server parses it with the editor's schema), owned by this browser.
 */
export function ImportDocument() {
  const router = useRouter();
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const importFile = async (file: File) => {
    const format = formatOfFileName(file.name);
    if (format === null || format === 'json') {
      setError(`“${file.name}” is not a Markdown, HTML or text file (.md, .html, .txt).`);
      return;
    }
    setBusy(file.name);
    setError(null);
    try {
      const title = file.name.replace(/\.[^.]+$/, '');
      const { id, ownerKey } = await createDocument({ format, content: await file.text(), title });
      rememberDoc(id, { key: ownerKey, role: 'owner', title, lastOpened: Date.now() });
      router.push(`/d/${encodeURIComponent(id)}`);
    } catch (err) {
      const reason = err instanceof ApiError && err.status === 413 ? 'the file is too large for this server' : err instanceof Error ? err.message : String(err);
      setError(`Could not import “${file.name}”: ${reason}`);
      setBusy(null);
    }
  };
  const importRef = useRef(importFile);
  importRef.current = importFile;

  useEffect(() => {
    // Counting enters and leaves: they fire for every child the pointer crosses.
    let depth = 0;
    const onEnter = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const onLeave = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onOver = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    };
    const onDrop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (file) void importRef.current(file);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);

  return (
    <div className="import">
      <button type="button" className="button button-large" onClick={() => inputRef.current?.click()} disabled={busy !== null}>
        {busy ? `Importing ${busy}…` : 'Import a file…'}
      </button>
      <input
        ref={inputRef}
        type="file"
        accept={ACCEPT}
        className="visually-hidden"
        aria-label="Import a Markdown, HTML or text file"
        data-testid="import-input"
        tabIndex={-1}
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          event.currentTarget.value = '';
          if (file) void importFile(file);
        }}
      />
      <p className="muted small import-hint">or drop a .md, .html or .txt file anywhere on this page</p>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {dragging ? (
        <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
          <div className="drop-overlay-card">Drop to import as a new document</div>
        </div>
      ) : null}
    </div>
  );
}
