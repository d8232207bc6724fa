import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DocId } from '../../lib/doc-id';
import type { Logger } from '../logger';
import type { Bus, BusHandler, BusMessage } from './bus';

export interface RedisBusOptions {
  /** `redis://host:port/db`. */
  readonly url: string;
  readonly logger: Logger;
  /** Prefix of every channel name (default `tandem:`); a document's channel is `<prefix>doc:<docId>`. */
  readonly channelPrefix?: string;
  /**
   * Most bytes of publishes waiting for Redis (default 64 MiB). Past it, messages are dropped and
   * the documents they were for get a `gap` marker once Redis answers again, so other instances
   * reload them from storage instead of this process buffering without bound during an outage.
   */
  readonly maxPendingBytes?: number;
  /** How long `subscribe` and `ping` wait for Redis before rejecting (default 5 s). */
  readonly timeoutMs?: number;
}

/** A Bus over Redis pub/sub. Its connections are named `tandem-bus-<instanceId>-pub` and `-sub` (tests find them by it). */
export type RedisBus = Bus;

/**
 * Wire format, one Redis message per BusMessage (the document is the channel):
 * byte 0 kind, bytes 1..16 the publishing instance's id, then the payload (update bytes, or the
 * revoked link id in UTF-8, or nothing for a gap marker).
 */
const WireKind = {
  Update: 1,
  Awareness: 2,
  Revoke: 3,
  /** The publisher dropped messages for this document: reload it from storage. */
  Gap: 4,
  Delete: 5,
  PresenceQuery: 6,
} as const;
type WireKind = (typeof WireKind)[keyof typeof WireKind];
const INSTANCE_ID_BYTES = 16;
const HEADER_BYTES = 1 + INSTANCE_ID_BYTES;

interface Subscription {
  readonly handler: BusHandler;
  readonly onGap: () => void;
}

interface Channel {
  readonly docId: DocId;
  readonly subscriptions: Set<Subscription>;
  /** Settles when Redis confirmed the SUBSCRIBE. */
  readonly confirmed: Promise<unknown>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function encode(instanceId: Buffer, kind: WireKind, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame[0] = kind;
  instanceId.copy(frame, 1);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Relays between server instances over Redis: one connection publishes, one subscribes (a
 * subscribed connection cannot publish). Each document has its own channel, so an instance
 * receives only the documents it has loaded. When the subscriber connection comes back after a
 * drop, ioredis subscribes again and every subscriber's `onGap` runs once that is confirmed.
 */
export function createRedisBus(options: RedisBusOptions): RedisBus {
  const { logger } = options;
  const prefix = `${options.channelPrefix ?? 'tandem:'}doc:`;
  const maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const instanceIdBytes = randomBytes(INSTANCE_ID_BYTES);
  const instanceId = instanceIdBytes.toString('hex');
  const log = logger.child({ component: 'redis-bus', instanceId });

  const publisher = new Redis(options.url, { connectionName: `tandem-bus-${instanceId}-pub`, lazyConnect: false });
  const subscriber = new Redis(options.url, { connectionName: `tandem-bus-${instanceId}-sub`, autoResubscribe: true });
  const channels = new Map<string, Channel>();
  let closed = false;

  // ioredis reconnects by itself; errors are reported here instead of as unhandled 'error' events.
  publisher.on('error', (error: Error) => log.warn({ err: error }, 'redis publisher connection error'));
  subscriber.on('error', (error: Error) => log.warn({ err: error }, 'redis subscriber connection error'));

  // --- publishing ---------------------------------------------------------------------------
  let pendingBytes = 0;
  /** Documents whose messages were dropped; each gets a gap marker once a publish succeeds again. */
  const dropped = new Set<DocId>();

  const send = (docId: DocId, frame: Buffer): void => {
    pendingBytes += frame.length;
    publisher.publish(prefix + docId, frame).then(
      () => {
        pendingBytes -= frame.length;
        if (dropped.size > 0) announceGaps();
      },
      (error: unknown) => {
        pendingBytes -= frame.length;
        if (closed) return;
        dropped.add(docId);
        log.warn({ err: error, docId }, 'redis publish failed; the document will be marked as gapped');
      },
    );
  };

  const announceGaps = (): void => {
    const docIds = [...dropped];
    dropped.clear();
    for (const docId of docIds) send(docId, encode(instanceIdBytes, WireKind.Gap, new Uint8Array(0)));
  };
  publisher.on('ready', () => {
    if (dropped.size > 0 && !closed) announceGaps();
  });

  const publish = (message: BusMessage): void => {
    if (closed) return;
    let frame: Buffer;
    switch (message.kind) {
      case 'update':
        frame = encode(instanceIdBytes, WireKind.Update, message.update);
        break;
      case 'awareness':
        frame = encode(instanceIdBytes, WireKind.Awareness, message.update);
        break;
      case 'revoke':
        frame = encode(instanceIdBytes, WireKind.Revoke, Buffer.from(message.linkId, 'utf8'));
        break;
      case 'delete':
        frame = encode(instanceIdBytes, WireKind.Delete, new Uint8Array(0));
        break;
      case 'presence-query':
        frame = encode(instanceIdBytes, WireKind.PresenceQuery, new Uint8Array(0));
        break;
      default: {
        const unreachable: never = message;
        throw new RangeError(`unknown bus message ${JSON.stringify(unreachable)}`);
      }
    }
    if (pendingBytes + frame.length > maxPendingBytes) {
      if (!dropped.has(message.docId)) log.warn({ docId: message.docId, pendingBytes }, 'redis publish backlog full; dropping');
      dropped.add(message.docId);
      return;
    }
    send(message.docId, frame);
  };

  // --- receiving ----------------------------------------------------------------------------
  const decode = (docId: DocId, frame: Buffer): BusMessage | 'gap' | 'own' | null => {
    if (frame.length < HEADER_BYTES) return null;
    if (frame.compare(instanceIdBytes, 0, INSTANCE_ID_BYTES, 1, HEADER_BYTES) === 0) return 'own';
    // A copy, so a handler may keep the bytes without pinning (or seeing reuse of) the frame.
    const payload = new Uint8Array(frame.subarray(HEADER_BYTES));
    switch (frame[0]) {
      case WireKind.Update:
        return { kind: 'update', docId, update: payload };
      case WireKind.Awareness:
        return { kind: 'awareness', docId, update: payload };
      case WireKind.Revoke:
        return { kind: 'revoke', docId, linkId: Buffer.from(payload).toString('utf8') };
      case WireKind.Delete:
        return { kind: 'delete', docId };
      case WireKind.PresenceQuery:
        return { kind: 'presence-query', docId };
      case WireKind.Gap:
        return 'gap';
      default:
        return null;
    }
  };

  subscriber.on('messageBuffer', (channelName: Buffer, frame: Buffer) => {
    const channel = channels.get(channelName.toString('utf8'));
    if (!channel) return;
    const decoded = decode(channel.docId, frame);
    if (decoded === 'own') return;
    if (decoded === null) {
      log.warn({ docId: channel.docId, bytes: frame.length }, 'dropped a malformed bus message');
      return;
    }
    const from = frame.subarray(1, HEADER_BYTES).toString('hex');
    for (const subscription of [...channel.subscriptions]) {
      // One failing handler must not starve the others or escape into ioredis.
      try {
        if (decoded === 'gap') subscription.onGap();
        else subscription.handler(decoded, from);
      } catch (error) {
        log.error({ err: error, docId: channel.docId }, 'bus handler threw');
      }
    }
  });

  let everReady = false;
  subscriber.on('ready', () => {
    if (!everReady) {
      everReady = true;
      return;
    }
    if (closed) return;
    // Back after a drop: whatever was published meanwhile is lost. ioredis has already queued
    // the re-SUBSCRIBE; a PING answered after it proves the subscriptions are live again, so a
    // reload that onGap starts cannot miss a message published after it.
    log.warn({ channels: channels.size }, 'redis subscriber reconnected; reloading subscribed documents');
    subscriber.ping().then(
      () => {
        for (const channel of channels.values()) {
          for (const subscription of [...channel.subscriptions]) {
            try {
              subscription.onGap();
            } catch (error) {
              log.error({ err: error, docId: channel.docId }, 'bus onGap threw');
            }
          }
        }
      },
      // The connection dropped again: the next 'ready' reports the gap.
      (error: unknown) => log.warn({ err: error }, 'redis subscriber dropped again before resubscribing'),
    );
  });

  const subscribe = async (docId: DocId, handler: BusHandler, onGap: () => void): Promise<() => void> => {
    if (closed) throw new Error('bus is closed');
    const name = prefix + docId;
    let channel = channels.get(name);
    if (!channel) {
      const confirmed = subscriber.subscribe(name);
      channel = { docId, subscriptions: new Set(), confirmed };
      channels.set(name, channel);
      confirmed.catch(() => {
        // Forget a channel whose SUBSCRIBE failed so the next subscribe tries again.
        if (channels.get(name) === channel) channels.delete(name);
      });
    }
    const subscription: Subscription = { handler, onGap };
    channel.subscriptions.add(subscription);
    try {
      // ioredis queues commands while Redis is away; an open must fail clearly rather than hang.
      await withTimeout(channel.confirmed, timeoutMs, 'redis did not confirm the subscription in time');
    } catch (error) {
      channel.subscriptions.delete(subscription);
      if (channel.subscriptions.size === 0 && channels.get(name) === channel) {
        channels.delete(name);
        subscriber.unsubscribe(name).catch(() => {});
      }
      throw error;
    }
    const current = channel;
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      current.subscriptions.delete(subscription);
      if (current.subscriptions.size > 0 || channels.get(name) !== current || closed) return;
      channels.delete(name);
      // Commands on one connection run in order, so a later SUBSCRIBE of the same name wins.
      subscriber.unsubscribe(name).catch((error: unknown) => log.warn({ err: error, docId }, 'redis unsubscribe failed'));
    };
  };

  const quit = async (connection: Redis): Promise<void> => {
    try {
      if (connection.status === 'ready') await connection.quit();
      else connection.disconnect();
    } catch {
      connection.disconnect();
    }
  };

  return {
    instanceId,
    publish,
    subscribe,
    async ping() {
      // Both connections: a bus that can publish but not receive is not delivering.
      await withTimeout(Promise.all([publisher.ping(), subscriber.ping()]), timeoutMs, 'redis did not answer a ping in time');
    },
    async close() {
      if (closed) return;
      closed = true;
      channels.clear();
      await Promise.all([quit(publisher), quit(subscriber)]);
    },
  };
}
