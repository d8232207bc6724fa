import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Role } from '../../lib/roles';
import type { Metrics } from '../metrics';
import type { Peer } from '../rooms/peer';
import type { Flushable, OutboxFlusher } from './outbox';

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
    // Corking the TCP socket turns the frames of this turn into one write; `ws` exposes no
    // public handle for that, so reach for its socket and do without when it is absent.
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    socket?.cork();
    let bytes = 0;
    for (const frame of frames) {
      ws.send(frame, { binary: true });
      bytes += frame.length;
    }
    socket?.uncork();
    metrics.socketWrites.inc();
    metrics.framesSent.inc(frames.length);
    metrics.bytesSent.inc(bytes);
    if (ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.close(1013, 'too slow: send buffer full; reconnect to resync');
    }
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.outbox = [];
    this.options.metrics.connectionsClosed.inc({ code: String(code) });
    this.options.ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the socket forever.
    setTimeout(() => this.options.ws.terminate(), 2_000).unref();
  }

  /** Marks the connection gone (the socket closed from the other side). */
  markClosed(): void {
    this.closed = true;
    this.outbox = [];
  }
}
