/**
 * A client that speaks the wire protocol exactly as the stock client of each server does, but
 * does not integrate what it receives into a Y.Doc: it only reads which edits each update
 * carries. A stock client spends about 50 to 100 µs of CPU on every update it receives (Yjs
 * integration plus the provider); hundreds of them on the load generator's one core would
 * measure the load generator, not the server. Light clients cost a few µs.
 *
 * What it does on the wire, per protocol:
 * - y-websocket: on open, sync step 1 and (presence on) its awareness state; answers the
 *   server's step 1 with a step 2 of its own edits; sends each edit as a sync update; and, like
 *   the stock client (field notes 1), re-sends every awareness entry it receives that is newer
 *   than what it had, other clients' included (unless `echoPresence` is off: Tandem's app client
 *   sends only its own).
 * - Hocuspocus: every message prefixed with the document name; on open, the token, sync step 1
 *   and its awareness state; answers application-level pings; never re-sends others' presence
 *   (the Hocuspocus provider filters its own origin).
 * Its own edits go into a private Y.Doc that holds only them, so they are real Yjs updates.
 */
import * as Y from 'yjs';
import { RawSocket } from './raw-socket';
import { ByteCursor } from './update-ranges';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { DocTarget } from '../peers/peers';
import type { Coverage, DeliveryTracker } from './tracker';
import { TEXT_FIELD, type BenchClient } from './clients';

const SYNC = 0;
const AWARENESS = 1;
const AUTH = 2;
const QUERY_AWARENESS = 3;
/** Tandem's extension: the state vector of everything committed (lib/protocol.ts MessageType.Saved). */
const TANDEM_SAVED = 100;
const HOCUSPOCUS_PING = 9;
const HOCUSPOCUS_PONG = 10;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
const AUTH_PERMISSION_DENIED = 1;
/** Reads every message's header; messages are handled one at a time. */
const cursor = new ByteCursor();
/** The stock awareness renews its local state this often (y-protocols: outdatedTimeout / 2). */
const PRESENCE_RENEW_MS = 15_000;

export interface LightClientOptions {
  readonly presence: boolean;
  /** y-websocket: re-send others' presence like the stock client, or only its own like Tandem's app client. */
  readonly echoPresence: boolean;
  readonly index: number;
  /** Keep every update received, to rebuild the document at the end and compare it. */
  readonly keepUpdates: boolean;
}

export class LightClient implements BenchClient {
  readonly kind = 'light';
  readonly coverage: Coverage;
  readonly synced: Promise<void>;
  /** Updates received, when `keepUpdates`. */
  readonly received: Uint8Array[] = [];
  private readonly doc = new Y.Doc();
  private readonly text = this.doc.getText(TEXT_FIELD);
  private readonly ws: RawSocket;
  private readonly prefix: Uint8Array;
  private readonly hocuspocus: boolean;
  private readonly token: string;
  /** The presence state as JSON, without its last `}`: a caret position is added per move. */
  private readonly presenceState: string | null;
  /** Where this client's caret is (the stock client's `cursor.index`), once it has typed. */
  private caret: number | null = null;
  private presenceClock = 0;
  /** Awareness clock last seen per client id (for the y-websocket re-send rule). */
  private readonly awarenessClocks = new Map<number, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** Called with the state vector of each of Tandem's Saved acknowledgements (everything durable). */
  onSaved: ((durable: Map<number, number>) => void) | undefined;
  private closed = false;

  constructor(
    target: DocTarget,
    private readonly tracker: DeliveryTracker,
    private readonly options: LightClientOptions,
  ) {
    this.coverage = tracker.coverage();
    this.hocuspocus = target.protocol === 'hocuspocus';
    this.token = target.token ?? '';
    const prefixEncoder = encoding.createEncoder();
    if (this.hocuspocus) encoding.writeVarString(prefixEncoder, target.name);
    this.prefix = encoding.toUint8Array(prefixEncoder);
    this.presenceState = options.presence ? JSON.stringify({ user: { name: `user ${options.index}`, color: '#4363d8' } }).slice(0, -1) : null;
    const query = new URLSearchParams(target.params).toString();
    const url = this.hocuspocus ? target.url : `${target.url}/${target.name}${query ? `?${query}` : ''}`;
    let resolveSynced!: () => void;
    let rejectSynced!: (error: Error) => void;
    this.synced = new Promise<void>((resolve, reject) => {
      resolveSynced = resolve;
      rejectSynced = reject;
    });
    this.onSynced = resolveSynced;
    this.ws = new RawSocket(url, {
      open: () => this.onOpen(),
      message: (data, start, end, now) => this.onMessage(data, start, end, now),
      error: (error) => rejectSynced(error),
      close: (code, reason) => {
        if (!this.closed) rejectSynced(new Error(`closed by the server: ${code} ${reason}`));
        clearInterval(this.renewTimer);
      },
    });
    this.doc.on('update', (update: Uint8Array) => this.sendUpdate(update));
  }

  private onSynced: () => void;

  get clientID(): number {
    return this.doc.clientID;
  }

  /** Edits made by this client so far (its own clock). */
  get clock(): number {
    return Y.getState(this.doc.store, this.doc.clientID);
  }

  /**
   * One keystroke at a random place in this client's own text; with presence on, its caret moves
   * after it, a new state as the stock client's `cursor` field makes (not a renewal).
   */
  edit(): void {
    this.tracker.recordSend(this.doc.clientID, this.clock, performance.now());
    const position = Math.floor(Math.random() * (this.text.length + 1));
    this.text.insert(position, 'x');
    if (this.presenceState !== null) {
      this.caret = position + 1;
      this.sendPresence();
    }
  }

  /** Sends a ready-made Yjs update, as the stock client sends a local change. */
  sendUpdate(update: Uint8Array): void {
    this.send((e) => {
      encoding.writeVarUint(e, SYNC);
      encoding.writeVarUint(e, UPDATE);
      encoding.writeVarUint8Array(e, update);
    });
  }

  /** This client's own edits, as one update. */
  ownState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }

  destroy(): void {
    this.closed = true;
    clearInterval(this.renewTimer);
    this.ws.close();
  }

  private send(write: (encoder: encoding.Encoder) => void): void {
    if (!this.ws.isOpen) return;
    const encoder = encoding.createEncoder();
    encoding.writeUint8Array(encoder, this.prefix);
    write(encoder);
    this.ws.send(encoding.toUint8Array(encoder));
  }

  private onOpen(): void {
    if (this.hocuspocus) {
      this.send((e) => {
        encoding.writeVarUint(e, AUTH);
        encoding.writeVarUint(e, 0); // AuthMessageType.Token
        encoding.writeVarString(e, this.token);
      });
    }
    this.send((e) => {
      encoding.writeVarUint(e, SYNC);
      encoding.writeVarUint(e, STEP1);
      encoding.writeVarUint8Array(e, Y.encodeStateVector(this.doc));
    });
    if (this.presenceState !== null) {
      this.sendPresence();
      this.renewTimer = setInterval(() => this.sendPresence(), PRESENCE_RENEW_MS);
    }
  }

  private sendPresence(): void {
    this.presenceClock += 1;
    this.send((e) => {
      encoding.writeVarUint(e, AWARENESS);
      const inner = encoding.createEncoder();
      encoding.writeVarUint(inner, 1);
      encoding.writeVarUint(inner, this.doc.clientID);
      encoding.writeVarUint(inner, this.presenceClock);
      const state = this.presenceState === null ? 'null' : `${this.presenceState}${this.caret === null ? '' : `,"cursor":{"index":${this.caret}}`}}`;
      encoding.writeVarString(inner, state);
      encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    });
  }

  /** Every message passes here: updates are read in place; the rest, rare, through lib0. */
  private onMessage(data: Uint8Array, start: number, end: number, now: number): void {
    if (this.hocuspocus && end - start === 1 && data[start] === HOCUSPOCUS_PING) {
      this.ws.send(Uint8Array.of(HOCUSPOCUS_PONG));
      return;
    }
    const at = cursor.reset(data, start, end);
    if (this.hocuspocus) at.skipBytes(); // the document name
    const type = at.varUint();
    if (type === SYNC) {
      const step = at.varUint();
      if (step === STEP2 || step === UPDATE) {
        const from = at.skipBytes();
        this.tracker.receive(this.doc.clientID, this.coverage, data, from, at.pos, now);
        if (this.options.keepUpdates) this.received.push(new Uint8Array(data.subarray(from, at.pos))); // a copy: `data` is reused
        if (step === STEP2) this.onSynced();
        return;
      }
    }
    this.onRareMessage(type, decoding.createDecoder(data.subarray(at.pos, end)));
  }

  /** Messages other than updates, `decoder` just past their type (and the sync step's). */
  private onRareMessage(type: number, decoder: decoding.Decoder): void {
    switch (type) {
      case SYNC: {
        // Step 1 (steps 2 and updates are read in place).
        const stateVector = decoding.readVarUint8Array(decoder);
        this.send((e) => {
          encoding.writeVarUint(e, SYNC);
          encoding.writeVarUint(e, STEP2);
          encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(this.doc, stateVector));
        });
        break;
      }
      case AWARENESS: {
        if (!this.hocuspocus && this.options.echoPresence) this.echoPresence(decoding.readVarUint8Array(decoder));
        break;
      }
      case AUTH: {
        if (decoding.readVarUint(decoder) === AUTH_PERMISSION_DENIED) {
          this.ws.close();
        }
        break;
      }
      case TANDEM_SAVED: {
        this.onSaved?.(Y.decodeStateVector(decoding.readVarUint8Array(decoder)));
        break;
      }
      case QUERY_AWARENESS: {
        if (this.presenceState !== null) this.sendPresence();
        break;
      }
      default:
        break;
    }
  }

  /** The stock y-websocket client's behaviour: entries newer than known are applied and re-sent. */
  private echoPresence(payload: Uint8Array): void {
    const decoder = decoding.createDecoder(payload);
    const count = decoding.readVarUint(decoder);
    const fresh: { client: number; clock: number; state: string }[] = [];
    for (let i = 0; i < count; i += 1) {
      const client = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const state = decoding.readVarString(decoder);
      if (client === this.doc.clientID) continue;
      const known = this.awarenessClocks.get(client);
      if (known === undefined ? state !== 'null' : known < clock) {
        this.awarenessClocks.set(client, clock);
        fresh.push({ client, clock, state });
      }
    }
    if (fresh.length === 0) return;
    this.send((e) => {
      encoding.writeVarUint(e, AWARENESS);
      const inner = encoding.createEncoder();
      encoding.writeVarUint(inner, fresh.length);
      for (const entry of fresh) {
        encoding.writeVarUint(inner, entry.client);
        encoding.writeVarUint(inner, entry.clock);
        encoding.writeVarString(inner, entry.state);
      }
      encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
    });
  }
}
