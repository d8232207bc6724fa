/**
 * The document's WebSocket, opened as soon as the page's script runs and handed to the provider
 * when the editor's session starts. Until then React hydrates, the access check returns and the
 * workspace mounts: time in which the socket's handshake, the key check and the server's load of
 * the document are done already. The provider takes the socket through y-websocket's
 * `WebSocketPolyfill` option and sees it as if it had opened it itself: the events that arrived
 * meanwhile (open, the server's first messages, a close) reach it in their order once it has set
 * its handlers. Nothing is sent on the socket before then, so the sync runs exactly as always.
 */

/** An early socket nobody takes (a refused key, a page left on its loading screen) is closed after this. */
const UNCLAIMED_CLOSE_MS = 15_000;

interface EarlySocket {
  readonly url: string;
  readonly socket: WebSocket;
  /** Events of the socket not yet delivered to whoever takes it, in their order. */
  readonly events: Event[];
  /** Set once taken: delivers each event as it comes. */
  deliver: ((event: Event) => void) | null;
}

let early: EarlySocket | null = null;

/** Opens `url` now, for the first provider that asks for the same URL. */
export function openEarlySocket(url: string): void {
  if (early !== null || typeof WebSocket === 'undefined') return;
  const socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  const entry: EarlySocket = { url, socket, events: [], deliver: null };
  const onEvent = (event: Event) => (entry.deliver ? entry.deliver(event) : entry.events.push(event));
  for (const type of ['open', 'message', 'error', 'close']) socket.addEventListener(type, onEvent);
  early = entry;
  setTimeout(() => {
    if (early !== entry) return;
    early = null;
    socket.close();
  }, UNCLAIMED_CLOSE_MS);
}

/** The early socket for `url` if it is still usable, taken so that nobody else gets it. */
function takeEarlySocket(url: string): EarlySocket | null {
  const entry = early;
  if (entry === null || entry.url !== url) return null;
  early = null;
  const { readyState } = entry.socket;
  if (readyState === WebSocket.CLOSING || readyState === WebSocket.CLOSED) return null;
  return entry;
}

/**
 * The early socket seen through the `on…` handlers y-websocket sets: what it already received is
 * replayed once the handlers are in place (they are set right after construction).
 */
class TakenSocket {
  readonly CONNECTING = WebSocket.CONNECTING;
  readonly OPEN = WebSocket.OPEN;
  readonly CLOSING = WebSocket.CLOSING;
  readonly CLOSED = WebSocket.CLOSED;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  private readonly socket: WebSocket;

  constructor(entry: EarlySocket) {
    this.socket = entry.socket;
    queueMicrotask(() => {
      for (const event of entry.events.splice(0)) this.dispatch(event);
      entry.deliver = (event) => this.dispatch(event);
    });
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  get binaryType(): BinaryType {
    return this.socket.binaryType;
  }

  set binaryType(type: BinaryType) {
    this.socket.binaryType = type;
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    this.socket.send(data);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  private dispatch(event: Event): void {
    if (event.type === 'open') this.onopen?.(event);
    else if (event.type === 'message') this.onmessage?.(event as MessageEvent);
    else if (event.type === 'error') this.onerror?.(event);
    else if (event.type === 'close') this.onclose?.(event as CloseEvent);
  }
}

/**
 * A `WebSocket` constructor for the provider: the early socket when it was opened for this URL
 * and is still usable, else a new socket (every reconnect).
 */
export const EarlyOrNewWebSocket = function EarlyOrNewWebSocket(url: string, protocols?: string | string[]): WebSocket {
  const entry = takeEarlySocket(url);
  return entry ? (new TakenSocket(entry) as unknown as WebSocket) : new WebSocket(url, protocols);
} as unknown as typeof WebSocket;
