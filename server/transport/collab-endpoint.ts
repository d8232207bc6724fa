import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isDocId, DOC_ID_RULE, type DocId } from '../../lib/doc-id';
import { CloseCode, KEY_PARAM, Paths, SAVED_ACK_PARAM } from '../../lib/protocol';
import { checkKey, type AccessDecision } from '../access/access';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ProtocolError, decodeClientFrame, encodePermissionDenied } from '../protocol/frames';
import type { RoomRegistry } from '../rooms/registry';
import type { Room } from '../rooms/room';
import type { Cancel, Scheduler } from '../scheduler';
import type { LinkStore } from '../storage/link-store';
import type { Admission, Refusal } from './admission';
import { Connection, closeSocket } from './connection';
import type { OutboxFlusher } from './outbox';

const COLLAB_PREFIX = `${Paths.collab}/`;
const KEEPALIVE_INTERVAL_MS = 30_000;
/** How long a connection may wait for its document to load before it is told to retry. */
const JOIN_TIMEOUT_MS = 30_000;

export interface CollabEndpointOptions {
  readonly registry: RoomRegistry;
  readonly links: LinkStore;
  readonly admission: Admission;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly scheduler: Scheduler;
  readonly flusher: OutboxFlusher;
  readonly maxFrameBytes: number;
  readonly maxBufferedBytes: number;
}

export interface CollabEndpoint {
  /** Takes upgrades under /collab/; returns false for any other path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Stops keep-alive pings; the registry closes the connections. */
  close(): void;
}

function refusal(decision: Exclude<AccessDecision, { kind: 'granted' }>): { code: number; reason: string } {
  switch (decision.kind) {
    case 'unknown':
      return { code: CloseCode.Unauthorized, reason: 'permission denied: this key does not open this document' };
    case 'revoked':
      return { code: CloseCode.Forbidden, reason: 'permission denied: this link was revoked' };
    case 'expired':
      return { code: CloseCode.Forbidden, reason: 'permission denied: this link has expired' };
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' };

/** Answers an upgrade request with a plain HTTP error, before any WebSocket exists. */
function refuseUpgrade(socket: Duplex, { status, reason }: Refusal): void {
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
  }
  socket.destroy();
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * The WebSocket side of the server: admission, key check, limits, keep-alive, frames into rooms.
 * A socket is not read until its key is checked and its document is ready (docs/PROTOCOL.md,
 * rule H5): frames wait in the kernel's buffers, bounded by TCP, instead of in server memory.
 */
export function createCollabEndpoint(options: CollabEndpointOptions): CollabEndpoint {
  const { registry, links, admission, logger, metrics, flusher, scheduler } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();
  // Shared by every socket, not a closure each (an open document has two sockets).
  function onPong(this: WebSocket): void {
    alive.set(this, true);
  }
  function onSocketError(error: Error): void {
    logger.info({ err: error.message }, 'websocket error');
  }

  const keepalive = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, KEEPALIVE_INTERVAL_MS);
  keepalive.unref();

  function deny(ws: WebSocket, code: number, reason: string): void {
    metrics.connectionsRefused.inc({ code: String(code) });
    ws.send(encodePermissionDenied(reason));
    closeSocket(ws, code, reason);
  }

  async function onConnection(ws: WebSocket, url: URL): Promise<void> {
    ws.pause();
    metrics.connections.inc();
    alive.set(ws, true);
    ws.on('pong', onPong);
    let connection: Connection | null = null;
    let room: Room | null = null;
    let cancelExpiry: Cancel | null = null;

    // `ws` emits 'error' for protocol violations such as an oversized frame, then closes with
    // 1009 itself; without a listener that error would end the process.
    ws.on('error', onSocketError);
    ws.on('message', (data, isBinary) => {
      if (!connection || !room || !connection.isOpen) return;
      const bytes = toBytes(data);
      metrics.bytesReceived.inc(bytes.length);
      try {
        if (!isBinary) throw new ProtocolError('text frames are not part of the protocol');
        room.receive(connection, decodeClientFrame(bytes), performance.now());
      } catch (error) {
        room.frameFailed(connection, error);
      }
    });
    ws.on('close', () => {
      metrics.connections.dec();
      cancelExpiry?.();
      connection?.markClosed();
      if (connection && room) registry.leave(room, connection);
    });

    let rawId = '';
    try {
      rawId = decodeURIComponent(url.pathname.slice(COLLAB_PREFIX.length));
    } catch {
      // Malformed percent-encoding: refused below like any other invalid id.
    }
    if (!isDocId(rawId)) return deny(ws, CloseCode.NotFound, `invalid document id: expected ${DOC_ID_RULE}`);
    const docId: DocId = rawId;
    const key = url.searchParams.get(KEY_PARAM);

    let decision: AccessDecision;
    try {
      decision = await checkKey(links, docId, key, scheduler.now());
    } catch (error) {
      logger.error({ docId, err: error }, 'key check failed');
      return closeSocket(ws, CloseCode.InternalError, 'storage unavailable; retry later');
    }
    if (ws.readyState !== ws.OPEN) return;
    if (decision.kind !== 'granted') return deny(ws, refusal(decision).code, refusal(decision).reason);

    const open = new Connection({
      ws,
      role: decision.role,
      linkId: decision.link.id,
      wantsSavedAcks: url.searchParams.get(SAVED_ACK_PARAM) === '1',
      flusher,
      metrics,
      maxBufferedBytes: options.maxBufferedBytes,
    });
    connection = open;
    const expiresAt = decision.link.expiresAt;
    if (expiresAt) {
      cancelExpiry = scheduler.after(expiresAt.getTime() - scheduler.now(), () => open.close(CloseCode.Forbidden, 'permission denied: this link has expired'));
    }

    let cancelJoinTimeout: Cancel | null = scheduler.after(JOIN_TIMEOUT_MS, () => {
      cancelJoinTimeout = null;
      open.close(CloseCode.InternalError, 'the document took too long to load; retry');
    });
    let joined: Room | null;
    try {
      joined = await registry.join(docId, open, () => open.isOpen);
    } catch {
      return open.close(CloseCode.InternalError, 'could not load the document; retry later');
    } finally {
      cancelJoinTimeout?.();
      // Dropped once spent: the socket's listeners share this scope and would keep its timer.
      cancelJoinTimeout = null;
    }
    if (!joined) return;
    room = joined;

    // The link may have been revoked while the document loaded, before this connection was in
    // the room where revocations reach it (rule A5): check once more, now that it is.
    let again: AccessDecision;
    try {
      again = await checkKey(links, docId, key, scheduler.now());
    } catch (error) {
      logger.error({ docId, err: error }, 'key re-check failed');
      return open.close(CloseCode.InternalError, 'storage unavailable; retry later');
    }
    if (again.kind !== 'granted') return open.close(refusal(again).code, refusal(again).reason);
    if (open.isOpen) ws.resume();
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!url.pathname.startsWith(COLLAB_PREFIX)) return false;
      // A shared function, not a closure: a closure here would share this call's scope, and so
      // keep the upgrade request (its headers and URL) for as long as the socket is open.
      socket.on('error', destroySocket);
      if (!admission.originAllowed(req)) {
        metrics.refusedBeforeUpgrade.inc({ reason: 'origin' });
        refuseUpgrade(socket, { status: 403, reason: 'this origin may not open documents here' });
        return true;
      }
      const ip = admission.clientIp(req);
      void admission.request(ip).then((limited) => {
        if (limited) {
          metrics.refusedBeforeUpgrade.inc({ reason: 'rate' });
          return refuseUpgrade(socket, limited);
        }
        const release = admission.connect(ip);
        if (typeof release !== 'function') {
          metrics.refusedBeforeUpgrade.inc({ reason: 'connections' });
          return refuseUpgrade(socket, release);
        }
        if (socket.destroyed) return release();
        // The TCP socket closes however the upgrade ends, accepted or not. `on`, not `once`: a
        // socket closes once, and `once` wraps the listener in a bound function and a record
        // (about 250 bytes a connection, for as long as it is open).
        socket.on('close', release);
        wss.handleUpgrade(req, socket, head, (ws) => {
          onConnection(ws, url).catch((error: unknown) => {
            logger.error({ err: error }, 'connection setup failed');
            ws.terminate();
          });
        });
      });
      return true;
    },
    close() {
      clearInterval(keepalive);
    },
  };
}
