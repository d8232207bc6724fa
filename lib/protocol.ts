/**
 * The wire protocol shared by the server and the app: y-websocket's message types plus one
 * opt-in extension. Kept free of Node and DOM APIs so both sides import it.
 */

/** y-websocket message types (first varUint of every frame). */
export const MessageType = {
  Sync: 0,
  Awareness: 1,
  Auth: 2,
  QueryAwareness: 3,
  /**
   * Tandem extension: "these updates are durable". Sent only to connections that opted in with
   * the `saved=1` query parameter, because a stock client logs unknown message types.
   * Payload: varUint8Array(encoded state vector of everything the server has committed).
   */
  Saved: 100,
} as const;

/** y-protocols sync sub-types (second varUint of a Sync frame). */
export const SyncStep = { Step1: 0, Step2: 1, Update: 2 } as const;

/** Query parameter with which a client asks for `MessageType.Saved` acknowledgements. */
export const SAVED_ACK_PARAM = 'saved';
/** Query parameter that carries the key on a WebSocket URL. */
export const KEY_PARAM = 'key';

/** Where the server listens: `ws(s)://HOST:PORT/collab/<docId>` and the HTTP routes. */
export const Paths = {
  /** WebSocket base; a document is at `${Paths.collab}/<docId>`. */
  collab: '/collab',
  /** The JSON API; documents are at `${Paths.docs}/<docId>`. */
  docs: '/api/docs',
  health: '/healthz',
  metrics: '/metrics',
} as const;

/** Close codes. 44xx mirror HTTP statuses; the rest are RFC 6455's. */
export const CloseCode = {
  /** Server shutting down or restarting: reconnect. */
  ServiceRestart: 1012,
  /** A frame larger than the server's limit. */
  MessageTooBig: 1009,
  /** The client fell too far behind (send buffer over the limit): reconnect and resync. */
  TryAgainLater: 1013,
  /** A frame that could not be decoded, or of an unknown message type. */
  BadRequest: 4400,
  /** No key, or a key this server does not know for this document. */
  Unauthorized: 4401,
  /** A key that was revoked or has expired. */
  Forbidden: 4403,
  /** The document id in the URL is not a valid id. */
  NotFound: 4404,
  /** The document was deleted by its owner. */
  Gone: 4410,
  /** The server failed to load the document; reconnecting may succeed. */
  InternalError: 4500,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes after which reconnecting with the same key cannot succeed. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CloseCode.Unauthorized,
  CloseCode.Forbidden,
  CloseCode.NotFound,
  CloseCode.Gone,
]);

/** The Y.XmlFragment that holds the editor content (TipTap Collaboration's default field). */
export const CONTENT_FIELD = 'default';
/** The Y.Text that holds the document title. */
export const TITLE_FIELD = 'title';
