'use client';

import { StatusPage } from './_components/status-page';

/**
 * A page that threw while rendering. The editor's data lives in the Y.Doc and IndexedDB, not in
 * React state, so trying again loses nothing that was typed.
 */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <StatusPage
      tone="warning"
      title="Something went wrong"
      action={{ href: '/', label: 'Go to your documents' }}
      extra={
        <button type="button" className="button" onClick={() => reset()}>
          Try again
        </button>
      }
    >
      This page stopped working. Your changes are kept in this browser; try again, or reload the page.
      {error.digest ? <> (Reference: <code>{error.digest}</code>)</> : null}
    </StatusPage>
  );
}
