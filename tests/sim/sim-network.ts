import * as prng from 'lib0/prng';
import type { Role } from '../../lib/roles';
import type { Peer } from '../../server/rooms/peer';
import type { Room } from '../../server/rooms/room';
import type { Flushable, OutboxFlusher } from '../../server/transport/outbox';
import { WORLD, type SimScheduler } from './sim-scheduler';

export type ToClient = { readonly kind: 'frame'; readonly frame: Uint8Array } | { readonly kind: 'close'; readonly code: number; readonly reason: string };
export type ToServer = { readonly kind: 'frame'; readonly frame: Uint8Array } | { readonly kind: 'close' };

/**
 * One direction of a TCP connection: in order, each item after a seeded latency (never before
 * the one sent ahead of it). Items in flight when a server dies still arrive, as bytes already
 * sent do; the receiver decides what to do with them.
 */
export class Channel<T> {
  private lastAt = 0;

  constructor(
    private readonly scheduler: SimScheduler,
    private readonly gen: prng.PRNG,
    private readonly maxLatencyMs: number,
    private readonly label: string,
    private readonly deliver: (item: T) => void,
  ) {}

  send(item: T): void {
    const at = Math.max(this.lastAt, this.scheduler.now() + prng.int32(this.gen, 0, this.maxLatencyMs));
    this.lastAt = at;
    this.scheduler.at(at - this.scheduler.now(), WORLD, this.label, () => this.deliver(item));
  }
}

/**
 * The server's end of a simulated connection, as the room sees it (the `Peer` seam). Like the
 * real transport it queues frames in an outbox that the instance's OutboxFlusher writes once per
 * turn, and it is not read until its document is ready: frames that arrive before wait in
 * `paused` (rule H5).
 */
export class ServerConnection implements Peer, Flushable {
  private outbox: Uint8Array[] = [];
  private closed = false;
  room: Room | null = null;
  /** Frames that arrived before the connection joined its room, in order. */
  paused: Uint8Array[] | null = [];

  constructor(
    readonly id: number,
    readonly role: Role,
    readonly linkId: string,
    readonly wantsSavedAcks: boolean,
    private readonly flusher: OutboxFlusher,
    private readonly toClient: Channel<ToClient>,
    /** Called once when the server closes this connection. */
    private readonly onServerClose: (code: number, reason: string) => void,
  ) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.outbox.push(frame);
    this.flusher.mark(this);
  }

  flush(): void {
    const frames = this.outbox;
    this.outbox = [];
    if (this.closed) return;
    for (const frame of frames) this.toClient.send({ kind: 'frame', frame });
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.toClient.send({ kind: 'close', code, reason });
    this.onServerClose(code, reason);
  }

  /** The server process died: what was flushed is still on the wire, then the client sees the connection drop. */
  sever(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox = [];
    this.toClient.send({ kind: 'close', code: 1006, reason: 'connection lost' });
  }

  /** The client went away (or the process died): nothing more is sent. */
  markClosed(): void {
    this.closed = true;
    this.outbox = [];
  }
}
