/**
 * Where a document's WebSocket connects: one definition for the provider and for the socket the
 * page opens early (`early-socket.ts`), which the provider takes only when the URLs are equal.
 */
import { encodeQueryParams } from 'lib0/url';
import { SAVED_ACK_PARAM } from '../../lib/protocol';

/** The collaboration endpoint on the page's own origin. */
export function websocketBase(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/collab`;
}

/** The provider's query parameters: the key, and a request for "saved" acknowledgements. */
export function collabParams(key: string): Record<string, string> {
  return { key, [SAVED_ACK_PARAM]: '1' };
}

/** The URL y-websocket's provider builds from these: base, `/`, document id, query. */
export function collabUrl(docId: string, key: string): string {
  return `${websocketBase()}/${docId}?${encodeQueryParams(collabParams(key))}`;
}
