import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { CloseCode } from '../../lib/protocol';
import type { Role } from '../../lib/roles';
import type { Metrics } from '../metrics';
import type { Peer } from '../rooms/peer';
import type { Flushable, OutboxFlusher } from './outbox';
import { joinedWireFrames, wireFrame } from './wire-frame';

/** Frames joined into one buffer per write at most; a longer backlog is written corked, as it is. */
const MAX_JOINED_FRAMES = 16;
const MAX_JOINED_BYTES = 64 * 1024;

export interface ConnectionOptions {
  readonly ws: WebSocket;
  readonly role: Role;
  readonly linkId: string;
  readonly wantsSavedAcks: boolean;
  readonly flusher: OutboxFlusher;
  readonly metrics: Metrics;
  /** Unsent bytes past which this connection is closed with 1013 rather than buffering more. */
  readonly maxBufferedBytes: number;
}

/** How long a closed socket may take to finish the close handshake before it is destroyed. */
export const CLOSE_GRACE_MS = 2_000;
/** Bytes a peer may still send after it was told to go (frames already in flight) before it is destroyed. */
const MAX_BYTES_AFTER_CLOSE = 64 * 1024;

/**
 * Closes a socket with a code and reason. The socket keeps being read only so the close
 * handshake can finish: whatever else arrives is dropped, and a peer that keeps sending, or does
 * not go within CLOSE_GRACE_MS, is destroyed (docs/PROTOCOL.md, rule H6).
 */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
  ws.close(code, reason);
  ws.resume();
  let received = 0;
  ws.on('message', (data: RawData) => {
    received += Array.isArray(data) ? data.reduce((sum, b) => sum + b.length, 0) : data instanceof ArrayBuffer ? data.byteLength : data.length;
    if (received > MAX_BYTES_AFTER_CLOSE) ws.terminate();
  });
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

/** A WebSocket seen as a room Peer: frames queue in an outbox and leave in one write per turn. */
export class Connection implements Peer, Flushable {
  readonly role: Role;
  readonly linkId: string;
  readonly wantsSavedAcks: boolean;
  private outbox: Uint8Array[] = [];
  private closed = false;

  constructor(private readonly options: ConnectionOptions) {
    this.role = options.role;
    this.linkId = options.linkId;
    this.wantsSavedAcks = options.wantsSavedAcks;
  }

  get isOpen(): boolean {
    return !this.closed && this.options.ws.readyState === this.options.ws.OPEN;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.outbox.push(frame);
    this.options.flusher.mark(this);
  }

  flush(): void {
    const frames = this.outbox;
    this.outbox = [];
    if (!this.isOpen || frames.length === 0) return;
    const { ws, metrics } = this.options;
    // Frames go straight to the TCP socket, framed once per message (see wire-frame.ts), in one
    // write per turn: a lone frame (the usual case: one edit per turn) as it is; a few (an edit
    // with its writer's caret) joined into one buffer that every connection getting the same
    // shares, since a plain write costs less than the stream's vectored path; a long backlog
    // corked. `ws` exposes no public handle for its socket; without one (never, while open), its
    // own send does the same work. Its sender is left with control frames only (pings, close),
    // which are written at once, never queued, with compression off: so nothing it writes can
    // overtake or split these.
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    let bytes = 0;
    for (const frame of frames) bytes += frame.length;
    if (socket && frames.length === 1) {
      socket.write(wireFrame(frames[0]!));
    } else if (socket && frames.length <= MAX_JOINED_FRAMES && bytes <= MAX_JOINED_BYTES) {
      socket.write(joinedWireFrames(frames));
    } else if (socket) {
      socket.cork();
      for (const frame of frames) socket.write(wireFrame(frame));
      socket.uncork();
    } else {
      for (const frame of frames) ws.send(frame, { binary: true });
    }
    metrics.socketWrites.inc();
    metrics.framesSent.inc(frames.length);
    metrics.bytesSent.inc(bytes);
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.close(CloseCode.TryAgainLater, 'too slow: send buffer full; reconnect to resync');
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.outbox = [];
    this.options.metrics.connectionsClosed.inc({ code: String(code) });
    closeSocket(this.options.ws, code, reason);
  }

  /** Marks the connection gone (the socket closed from the other side). */
  markClosed(): void {
    this.closed = true;
    this.outbox = [];
  }
}
