'use client';

import { useEffect, useRef, useState } from 'react';
import { CONTENT_TYPES, FILE_EXTENSIONS, type ContentFormat } from '../../lib/content-format';
import { fetchContent } from '../_lib/document-api';
import { downloadText, fileNameFor } from '../_lib/download';

const DOWNLOADS: ReadonlyArray<{ format: ContentFormat; label: string }> = [
  { format: 'markdown', label: 'Markdown (.md)' },
  { format: 'html', label: 'Web page (.html)' },
  { format: 'text', label: 'Plain text (.txt)' },
];

/**
 * Download the document as Markdown, HTML or plain text (rendered by the server from the same
 * schema as the editor), or print it to PDF through the print stylesheet.
 */
export function ExportMenu({
  docId,
  docKey,
  title,
  whenSaved,
}: {
  docId: string;
  docKey: string;
  title: string;
  /** Resolves true once this person's changes are all stored (false after the timeout). */
  whenSaved: (timeoutMs: number) => Promise<boolean>;
}) {
  const [open, setOpen] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const download = async (format: ContentFormat) => {
    setOpen(false);
    setError(null);
    try {
      // The server exports what it has stored: a download waits for this person's last changes.
      setWaiting(true);
      const saved = await whenSaved(10_000);
      setWaiting(false);
      if (!saved) throw new Error('some of your changes are not saved on the server yet; try again once the status says Saved.');
      const text = await fetchContent(docId, docKey, format);
      downloadText(fileNameFor(title, FILE_EXTENSIONS[format]), text, CONTENT_TYPES[format]);
    } catch (err) {
      setWaiting(false);
      setError(`Could not export: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const print = () => {
    setOpen(false);
    // After the menu has closed, so it is not on the page.
    requestAnimationFrame(() => window.print());
  };

  return (
    <div className="export" ref={rootRef}>
      <button type="button" className="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {waiting ? 'Saving…' : 'Export'}
      </button>
      {open ? (
        <ul className="popover export-menu" role="menu" aria-label="Export">
          {DOWNLOADS.map(({ format, label }) => (
            <li key={format} role="none">
              <button type="button" role="menuitem" className="menu-item" onClick={() => void download(format)}>
                {label}
              </button>
            </li>
          ))}
          <li role="none">
            <button type="button" role="menuitem" className="menu-item" onClick={print}>
              PDF (print…)
            </button>
          </li>
        </ul>
      ) : null}
      {error ? (
        <p className="form-error export-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
