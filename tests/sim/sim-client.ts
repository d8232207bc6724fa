import * as decoding from 'lib0/decoding';
import * as prng from 'lib0/prng';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { MessageType, SyncStep } from '../../lib/protocol';
import type { Role } from '../../lib/roles';
import { encodeAwareness, encodeSyncStep1, encodeSyncStep2, encodeUpdate } from '../../server/protocol/frames';
import type { ToClient, ToServer } from './sim-network';
import type { SimScheduler } from './sim-scheduler';

/** y-protocols' awareness timeout: states not renewed for this long are dropped; clients renew at half of it. */
const OUTDATED_MS = awarenessProtocol.outdatedTimeout;
/** How often y-protocols' awareness checks for outdated states and renews its own. */
export const AWARENESS_CHECK_MS = OUTDATED_MS / 10;

/** A client's half of one connection. */
export interface ClientConnection {
  readonly id: number;
  send(item: ToServer): void;
}

/** What a simulated client needs from the world around it. */
export interface ClientWorld {
  readonly scheduler: SimScheduler;
  readonly gen: prng.PRNG;
  /** Opens a connection to some server instance; frames and the close come back through `client.receive`. */
  open(client: SimClient): ClientConnection;
  /** Something the server sent that a replica now holds (a sync step 2 or an update). */
  received(client: SimClient, update: Uint8Array): void;
  /** A "saved" acknowledgement: the server claims everything in `stateVector` is durable. */
  saved(client: SimClient, stateVector: Uint8Array): void;
  closed(client: SimClient, code: number, reason: string): void;
  note(line: string, bytes?: Uint8Array): void;
  fail(message: string): void;
}

export interface ClientOptions {
  readonly name: string;
  readonly clientId: number;
  readonly docId: DocId;
  readonly key: string;
  readonly role: Role;
  /** A view-key holder whose client edits anyway (rule A4: every such edit must be dropped). */
  readonly editsAnyway: boolean;
  readonly wantsSavedAcks: boolean;
}

/**
 * A stock y-websocket client, minus the socket: a Y.Doc and a y-protocols Awareness speaking
 * the sync and awareness messages exactly as `WebsocketProvider` does (step 1 and its own
 * presence on open, step 2 in answer to step 1, every local update and every awareness change,
 * other clients' included, sent on; remote presence dropped on close; reconnect with backoff).
 * Timers run on the virtual clock.
 */
export class SimClient {
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  conn: ClientConnection | null = null;
  /** The connection is open (the server may still be loading the document). */
  connected = false;
  /** Wants to be connected (false once it left for good, or was refused). */
  shouldConnect = true;
  left = false;
  private reconnects = 0;
  private lastRenewal: number;
  private readonly lastSeen = new Map<number, number>();

  constructor(
    readonly options: ClientOptions,
    private readonly world: ClientWorld,
  ) {
    this.doc = new Y.Doc();
    this.doc.clientID = options.clientId;
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    // Its own timer runs on real time; the virtual one below does the same job.
    clearInterval((this.awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    this.lastRenewal = world.scheduler.now();
    this.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== this && this.connected) this.send(encodeUpdate(update));
    });
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const now = world.scheduler.now();
      if (origin !== 'local') {
        for (const id of [...added, ...updated]) this.lastSeen.set(id, now);
      } else {
        this.lastRenewal = now;
      }
      for (const id of removed) this.lastSeen.delete(id);
      if (this.connected) this.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...added, ...updated, ...removed])));
    });
    this.awareness.setLocalState({ user: { name: options.name }, cursor: 0 });
    this.tick();
  }

  get name(): string {
    return this.options.name;
  }

  connect(): void {
    if (!this.shouldConnect || this.conn) return;
    this.conn = this.world.open(this);
  }

  /** Delivers what the server sent on connection `connId`; anything for an older connection is ignored. */
  receive(connId: number, item: ToClient | { kind: 'open' }): void {
    if (!this.conn || this.conn.id !== connId) return;
    switch (item.kind) {
      case 'open':
        this.connected = true;
        this.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
        if (this.awareness.getLocalState() !== null) {
          this.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
        }
        return;
      case 'frame':
        return this.handleFrame(item.frame);
      case 'close':
        this.world.note(`${this.name} closed by server ${item.code} ${item.reason}`);
        this.world.closed(this, item.code, item.reason);
        return this.afterClose(item.code);
    }
  }

  /** The network under this client broke (the server sees the connection close). */
  drop(): void {
    if (!this.conn) return;
    this.conn.send({ kind: 'close' });
    this.afterClose(1006);
  }

  /** Closes for good, telling the others it left first, as `provider.destroy()` does. */
  leave(): void {
    this.shouldConnect = false;
    this.left = true;
    if (this.connected) {
      this.send(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID], new Map())));
    }
    this.drop();
  }

  setCursor(position: number): void {
    const state = this.awareness.getLocalState();
    if (state) this.awareness.setLocalState({ ...state, cursor: position });
  }

  /** Whoever the client currently shows as present (itself included). */
  presentClients(): number[] {
    return [...this.awareness.getStates().keys()].sort((a, b) => a - b);
  }

  private send(frame: Uint8Array): void {
    this.conn?.send({ kind: 'frame', frame });
  }

  private handleFrame(frame: Uint8Array): void {
    try {
      const decoder = decoding.createDecoder(frame);
      const type = decoding.readVarUint(decoder);
      switch (type) {
        case MessageType.Sync: {
          const step = decoding.readVarUint(decoder);
          const payload = decoding.readVarUint8Array(decoder);
          if (step === SyncStep.Step1) {
            this.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, payload)));
          } else {
            Y.applyUpdate(this.doc, payload, this);
            this.world.received(this, payload);
          }
          return;
        }
        case MessageType.Awareness:
          awarenessProtocol.applyAwarenessUpdate(this.awareness, decoding.readVarUint8Array(decoder), this);
          return;
        case MessageType.Auth:
          this.world.fail(`${this.name} was refused: ${decoding.readVarString(decoder)}`);
          return;
        case MessageType.Saved:
          if (!this.options.wantsSavedAcks) this.world.fail(`${this.name} got a saved acknowledgement it did not ask for`);
          this.world.saved(this, decoding.readVarUint8Array(decoder));
          return;
        default:
          this.world.fail(`${this.name} got an unknown message type ${type}`);
      }
    } catch (error) {
      this.world.fail(`${this.name} could not handle a frame: ${String(error)}`);
    }
  }

  private afterClose(code: number): void {
    this.conn = null;
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected) {
      const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.doc.clientID);
      awarenessProtocol.removeAwarenessStates(this.awareness, others, this);
    }
    // y-websocket 3 gives up on 44xx: the server said no for a reason that reconnecting will not fix.
    if (code >= 4400 && code < 4500) this.shouldConnect = false;
    if (!this.shouldConnect) return;
    const backoff = Math.min(2 ** this.reconnects * 100, 2_500);
    this.reconnects = Math.min(this.reconnects + 1, 5);
    this.world.scheduler.at(prng.int32(this.world.gen, 0, backoff), 'world', `${this.name} reconnect`, () => this.connect());
  }

  /** The awareness check of y-protocols on the virtual clock: renew our state, drop others' that went quiet. */
  private tick(): void {
    this.world.scheduler.at(AWARENESS_CHECK_MS, 'world', `${this.name} awareness check`, () => {
      if (this.left) return;
      const now = this.world.scheduler.now();
      if (this.connected) this.reconnects = 0;
      const state = this.awareness.getLocalState();
      if (state !== null && now - this.lastRenewal >= OUTDATED_MS / 2) this.awareness.setLocalState(state);
      const outdated = [...this.lastSeen].filter(([id, seen]) => id !== this.doc.clientID && now - seen >= OUTDATED_MS).map(([id]) => id);
      if (outdated.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, outdated, 'timeout');
      this.tick();
    });
  }
}

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}
