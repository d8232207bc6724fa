'use client';

/**
 * The last resort, when the root layout itself failed: it replaces the whole document, so it
 * brings its own html and body and stays free of the app's components and styles.
 */
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 560, margin: '15vh auto', padding: '0 24px' }}>
        <main id="main" role="alert">
          <h1>Tandem could not start this page</h1>
          <p>Your changes are kept in this browser. Try again, or reload the page.</p>
          <button type="button" onClick={() => reset()}>
            Try again
          </button>
        </main>
      </body>
    </html>
  );
}
