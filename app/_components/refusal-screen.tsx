import type { Refusal } from '../_lib/refusal';
import { StatusPage } from './status-page';

const home = { href: '/', label: 'Go to your documents' };

/** Says plainly why a document will not open, instead of spinning or reconnecting forever. */
export function RefusalScreen({ refusal, onRetry }: { refusal: Refusal; onRetry?: () => void }) {
  switch (refusal.kind) {
    case 'no-key':
      return (
        <StatusPage tone="warning" title="This link is missing its key" action={home}>
          Document links end with <code>#key=…</code>. Ask the person who shared it for the full link.
        </StatusPage>
      );
    case 'unauthorized':
      return (
        <StatusPage tone="danger" title="This link does not open a document" action={home}>
          The key in the link is wrong, or the document does not exist. Ask the person who shared it for a new link.
        </StatusPage>
      );
    case 'revoked':
      return (
        <StatusPage tone="danger" title="This link no longer works" action={home}>
          The owner revoked this link, or it expired. Ask them for a new one.
        </StatusPage>
      );
    case 'deleted':
      return (
        <StatusPage tone="danger" title="This document was deleted" action={home}>
          Its owner deleted it, for everyone. Nothing of it is left on the server.
        </StatusPage>
      );
    case 'not-found':
      return (
        <StatusPage tone="warning" title="There is no such document" action={home}>
          The address does not contain a valid document id. Check the link you were given.
        </StatusPage>
      );
    case 'offline-unknown':
      return (
        <StatusPage
          tone="info"
          title="You are offline"
          action={home}
          extra={
            onRetry ? (
              <button type="button" className="button" onClick={onRetry}>
                Try again
              </button>
            ) : null
          }
        >
          This document has not been opened in this browser before, so there is no local copy yet. It opens as soon
          as the connection is back.
        </StatusPage>
      );
  }
}
