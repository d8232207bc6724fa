import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isDocId, DOC_ID_RULE, type DocId } from '../../lib/doc-id';
import { CloseCode, SAVED_ACK_PARAM } from '../../lib/protocol';
import { checkKey, type AccessDecision } from '../access/access';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { ProtocolError, decodeClientFrame, encodePermissionDenied } from '../protocol/frames';
import type { RoomRegistry } from '../rooms/registry';
import type { Room } from '../rooms/room';
import type { Storage } from '../storage/storage';
import { Connection } from './connection';
import type { OutboxFlusher } from './outbox';

export const COLLAB_PATH_PREFIX = '/collab/';
/** Frames a client may send before its key is checked and its room loaded (it sends 2 or 3). */
const MAX_EARLY_FRAMES = 256;
const KEEPALIVE_INTERVAL_MS = 30_000;
/** setTimeout's largest delay; longer expiries are re-armed when they fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CollabEndpointOptions {
  readonly registry: RoomRegistry;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly metrics: Metrics;
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

/** The WebSocket side of the server: upgrade, key check, limits, keep-alive, frames into rooms. */
export function createCollabEndpoint(options: CollabEndpointOptions): CollabEndpoint {
  const { registry, storage, logger, metrics, flusher } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxFrameBytes, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

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
    ws.close(code, reason);
  }

  async function onConnection(ws: WebSocket, url: URL): Promise<void> {
    metrics.connections.inc();
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    let connection: Connection | null = null;
    let room: Room | null = null;
    let expiryTimer: NodeJS.Timeout | null = null;
    const early: Array<{ data: Uint8Array; isBinary: boolean; at: number }> = [];

    const handle = (data: Uint8Array, isBinary: boolean, receivedAt: number) => {
      if (!connection || !room || !connection.isOpen) return;
      metrics.bytesReceived.inc(data.length);
      try {
        if (!isBinary) throw new ProtocolError('text frames are not part of the protocol');
        room.receive(connection, decodeClientFrame(data), receivedAt);
      } catch (error) {
        if (error instanceof ProtocolError) {
          logger.info({ docId: room.docId, reason: error.message }, 'closing a connection that sent a bad frame');
          connection.close(CloseCode.BadRequest, error.message);
        } else {
          logger.error({ docId: room.docId, err: error }, 'failed to handle a frame');
          connection.close(CloseCode.InternalError, 'internal error');
        }
      }
    };

    // `ws` emits 'error' for protocol violations such as an oversized frame, then closes with
    // 1009 itself; without a listener that error would end the process (field note 5).
    ws.on('error', (error) => logger.info({ err: error.message }, 'websocket error'));
    ws.on('message', (data, isBinary) => {
      const bytes = toBytes(data);
      const at = performance.now();
      if (room) return handle(bytes, isBinary, at);
      if (early.push({ data: bytes, isBinary, at }) > MAX_EARLY_FRAMES) {
        ws.close(CloseCode.BadRequest, 'too many frames before the document was ready');
      }
    });
    ws.on('close', () => {
      metrics.connections.dec();
      if (expiryTimer) clearTimeout(expiryTimer);
      connection?.markClosed();
      if (connection && room) room.leave(connection);
    });

    let rawId = '';
    try {
      rawId = decodeURIComponent(url.pathname.slice(COLLAB_PATH_PREFIX.length));
    } catch {
      // Malformed percent-encoding: refused below like any other invalid id.
    }
    if (!isDocId(rawId)) return deny(ws, CloseCode.NotFound, `invalid document id: expected ${DOC_ID_RULE}`);
    const docId: DocId = rawId;

    let decision: AccessDecision;
    try {
      decision = await checkKey(storage, docId, url.searchParams.get('key'));
    } catch (error) {
      logger.error({ docId, err: error }, 'key check failed');
      return void ws.close(CloseCode.InternalError, 'storage unavailable; retry later');
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
      const arm = () => {
        const left = expiresAt.getTime() - Date.now();
        if (left <= 0) return open.close(CloseCode.Forbidden, 'permission denied: this link has expired');
        expiryTimer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      arm();
    }

    try {
      room = await registry.join(docId, open, () => open.isOpen);
    } catch {
      return open.close(CloseCode.InternalError, 'could not load the document; retry later');
    }
    if (!room) return;
    for (const frame of early.splice(0)) handle(frame.data, frame.isBinary, frame.at);
  }

  return {
    handleUpgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!url.pathname.startsWith(COLLAB_PATH_PREFIX)) return false;
      wss.handleUpgrade(req, socket, head, (ws) => {
        onConnection(ws, url).catch((error: unknown) => {
          logger.error({ err: error }, 'connection setup failed');
          ws.terminate();
        });
      });
      return true;
    },
    close() {
      clearInterval(keepalive);
    },
  };
}
