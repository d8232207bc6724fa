/** Why a document cannot be opened, as the refusal screen explains it. */
import { CloseCode } from '../../lib/protocol';

export type Refusal =
  /** No key in the link and none remembered in this browser. */
  | { readonly kind: 'no-key' }
  /** A key the server does not know for this document, or no such document (indistinguishable by design). */
  | { readonly kind: 'unauthorized'; readonly detail?: string }
  /** A key that was revoked or has expired. */
  | { readonly kind: 'revoked'; readonly detail?: string }
  /** The owner deleted the document while it was open (close code 4410). */
  | { readonly kind: 'deleted' }
  /** The id in the address cannot be a document id. */
  | { readonly kind: 'not-found' }
  /** Offline, and this browser has never opened the document. */
  | { readonly kind: 'offline-unknown' };

/** Maps a terminal WebSocket close (y-websocket's `closed` event) to a refusal. */
export function refusalFromClose(code: number, reason: string): Refusal {
  const detail = reason || undefined;
  switch (code) {
    case CloseCode.Forbidden:
      return { kind: 'revoked', detail };
    case CloseCode.NotFound:
      return { kind: 'not-found' };
    case CloseCode.Gone:
      return { kind: 'deleted' };
    default:
      return { kind: 'unauthorized', detail };
  }
}

/** Maps a refused HTTP access check to a refusal. */
export function refusalFromStatus(status: number, message: string): Refusal {
  if (status === 403) return { kind: 'revoked', detail: message };
  if (status === 404 || status === 400) return { kind: 'unauthorized', detail: message };
  return { kind: 'unauthorized', detail: message };
}
