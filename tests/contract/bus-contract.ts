import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import type { Bus, BusMessage } from '../../server/bus/bus';
import * as prng from 'lib0/prng';
import { seededRandom } from '../helpers/seed';
import { waitFor } from '../helpers/wait';

/** Two connected instances of one Bus implementation. */
export interface OpenedBuses {
  readonly a: Bus;
  readonly b: Bus;
  /**
   * Drops b's connection to its broker, as a network failure would; absent for buses that
   * have no connection to lose (the gap test is then skipped).
   */
  readonly dropConnectionOfB?: () => Promise<void>;
  cleanup(): Promise<void>;
}

/** Records what one subscription receives. */
interface Recorder {
  readonly messages: BusMessage[];
  /** The publishing instance of each message. */
  readonly senders: string[];
  gaps: number;
  readonly handler: (message: BusMessage, from: string) => void;
  readonly onGap: () => void;
}

function recorder(): Recorder {
  const r: Recorder = {
    messages: [],
    senders: [],
    gaps: 0,
    handler: (message, from) => {
      r.messages.push(message);
      r.senders.push(from);
    },
    onGap: () => {
      r.gaps++;
    },
  };
  return r;
}

const newDocId = (): DocId => `bus_${randomBytes(6).toString('hex')}` as DocId;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const update = (docId: DocId, ...values: number[]): BusMessage => ({ kind: 'update', docId, update: Uint8Array.from(values) });

/** Comparable form: Uint8Array payloads as hex, so a Buffer and a Uint8Array with equal bytes compare equal. */
function plain(message: BusMessage): unknown {
  return message.kind === 'revoke' || message.kind === 'delete' || message.kind === 'presence-query' ? message : { ...message, update: hex(message.update) };
}

/**
 * The contract every Bus implementation passes (server/bus/bus.ts). "Not delivered" is proven
 * without sleeping: after the message under test, a marker is sent on the same path; brokers keep
 * one publisher's order, so once the marker has arrived the message would have too.
 */
export function runBusContract(name: string, open: () => Promise<OpenedBuses>): void {
  describe(`Bus contract: ${name}`, () => {
    let buses: OpenedBuses;
    let a: Bus;
    let b: Bus;

    beforeEach(async () => {
      buses = await open();
      ({ a, b } = buses);
    });
    afterEach(async () => {
      await buses.cleanup();
    });

    it('a message published by A reaches B\'s subscriber, never A\'s own', async () => {
      const docId = newDocId();
      const onA = recorder();
      const onB = recorder();
      await a.subscribe(docId, onA.handler, onA.onGap);
      await b.subscribe(docId, onB.handler, onB.onGap);
      const message = update(docId, 1, 2, 3);
      a.publish(message);
      await waitFor(() => onB.messages.length === 1, 'B to receive the update');
      expect(onB.messages.map(plain)).toEqual([plain(message)]);
      expect(onB.senders).toEqual([a.instanceId]);
      expect(a.instanceId).not.toBe(b.instanceId);
      // B answers; once A has B's reply, A's own message would have come back before it.
      const reply = update(docId, 9);
      b.publish(reply);
      await waitFor(() => onA.messages.length >= 1, 'A to receive the reply');
      expect(onA.messages.map(plain)).toEqual([plain(reply)]);
      expect(onB.messages).toHaveLength(1);
    });

    it('every subscriber of the document on an instance receives it', async () => {
      const docId = newDocId();
      const first = recorder();
      const second = recorder();
      await b.subscribe(docId, first.handler, first.onGap);
      await b.subscribe(docId, second.handler, second.onGap);
      a.publish(update(docId, 7));
      await waitFor(() => first.messages.length === 1 && second.messages.length === 1, 'both subscribers to receive');
    });

    it('is not delivered to subscribers of another document', async () => {
      const [x, y, z] = [newDocId(), newDocId(), newDocId()];
      const onX = recorder();
      const onY = recorder();
      await b.subscribe(x, onX.handler, onX.onGap);
      await b.subscribe(y, onY.handler, onY.onGap);
      a.publish(update(z, 1));
      a.publish(update(x, 2));
      a.publish(update(y, 3));
      await waitFor(() => onY.messages.length >= 1 && onX.messages.length >= 1, 'the y and x messages');
      expect(onX.messages.map(plain)).toEqual([plain(update(x, 2))]);
      expect(onY.messages.map(plain)).toEqual([plain(update(y, 3))]);
    });

    it('unsubscribe stops delivery to that handler only, and to the instance once the last one leaves', async () => {
      const [x, marker] = [newDocId(), newDocId()];
      const leaving = recorder();
      const staying = recorder();
      const onMarker = recorder();
      const unsubscribeLeaving = await b.subscribe(x, leaving.handler, leaving.onGap);
      const unsubscribeStaying = await b.subscribe(x, staying.handler, staying.onGap);
      await b.subscribe(marker, onMarker.handler, onMarker.onGap);
      unsubscribeLeaving();
      unsubscribeLeaving(); // idempotent
      a.publish(update(x, 1));
      await waitFor(() => staying.messages.length === 1, 'the staying subscriber to receive');
      expect(leaving.messages).toEqual([]);

      unsubscribeStaying();
      a.publish(update(x, 2));
      a.publish(update(marker, 3));
      await waitFor(() => onMarker.messages.length === 1, 'the marker');
      expect(staying.messages).toHaveLength(1);
      expect(leaving.messages).toEqual([]);

      // Subscribing again works (a fresh subscription after the instance left the document).
      const again = recorder();
      await b.subscribe(x, again.handler, again.onGap);
      a.publish(update(x, 4));
      await waitFor(() => again.messages.length === 1, 'the new subscriber to receive');
      expect(again.messages.map(plain)).toEqual([plain(update(x, 4))]);
    });

    it('calling a stale unsubscribe again does not end a later subscription to the same document', async () => {
      const docId = newDocId();
      const stale = recorder();
      const live = recorder();
      const unsubscribeStale = await b.subscribe(docId, stale.handler, stale.onGap);
      unsubscribeStale();
      await b.subscribe(docId, live.handler, live.onGap);
      unsubscribeStale();
      a.publish(update(docId, 1));
      await waitFor(() => live.messages.length === 1, 'the live subscriber to receive');
      expect(stale.messages).toEqual([]);
    });

    it('binary payloads arrive byte for byte, zeros included', async () => {
      const { gen } = seededRandom(`${name} bus: binary payloads`);
      const docId = newDocId();
      const onB = recorder();
      await b.subscribe(docId, onB.handler, onB.onGap);
      const payloads = [new Uint8Array(0), new Uint8Array(1), Uint8Array.from([0, 0, 0, 255, 0]), ...[1, 17, 1000, 65_536, 1_000_000].map((n) => prng.uint8Array(gen, n))];
      const sent: BusMessage[] = payloads.map((p, i) => ({ kind: i % 2 ? 'awareness' : 'update', docId, update: p }));
      for (const message of sent) a.publish(message);
      await waitFor(() => onB.messages.length === sent.length, 'every payload');
      expect(onB.messages.map(plain)).toEqual(sent.map(plain));
    });

    it('a payload that is a view into a larger buffer sends only its own bytes', async () => {
      const docId = newDocId();
      const onB = recorder();
      await b.subscribe(docId, onB.handler, onB.onGap);
      const backing = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      a.publish({ kind: 'update', docId, update: backing.subarray(2, 5) });
      await waitFor(() => onB.messages.length === 1, 'the update');
      expect(onB.messages.map(plain)).toEqual([plain(update(docId, 3, 4, 5))]);
    });

    it('revoke, delete, presence-query and awareness messages arrive intact', async () => {
      const docId = newDocId();
      const onB = recorder();
      await b.subscribe(docId, onB.handler, onB.onGap);
      const sent: BusMessage[] = [
        { kind: 'revoke', docId, linkId: 'l_0123456789abcdef' },
        { kind: 'awareness', docId, update: Uint8Array.from([1, 0, 2]) },
        { kind: 'delete', docId },
        { kind: 'presence-query', docId },
        { kind: 'revoke', docId, linkId: 'ünïcødé-link-✓' },
      ];
      for (const message of sent) a.publish(message);
      await waitFor(() => onB.messages.length === sent.length, 'every message');
      expect(onB.messages.map(plain)).toEqual(sent.map(plain));
    });

    it('keeps the order of one publisher\'s messages', async () => {
      const docId = newDocId();
      const onB = recorder();
      await b.subscribe(docId, onB.handler, onB.onGap);
      const count = 2000;
      for (let i = 0; i < count; i++) a.publish(update(docId, i & 0xff, i >> 8));
      await waitFor(() => onB.messages.length === count, `${count} messages`, 10_000);
      const received = onB.messages.map((m) => (m.kind === 'update' ? m.update[0]! | (m.update[1]! << 8) : -1));
      expect(received).toEqual(Array.from({ length: count }, (_, i) => i));
    });

    it('works in both directions at once', async () => {
      const docId = newDocId();
      const onA = recorder();
      const onB = recorder();
      await a.subscribe(docId, onA.handler, onA.onGap);
      await b.subscribe(docId, onB.handler, onB.onGap);
      for (let i = 0; i < 50; i++) {
        a.publish(update(docId, 0, i));
        b.publish(update(docId, 1, i));
      }
      await waitFor(() => onA.messages.length === 50 && onB.messages.length === 50, 'both sides');
      expect(onA.messages.every((m) => m.kind === 'update' && m.update[0] === 1)).toBe(true);
      expect(onB.messages.every((m) => m.kind === 'update' && m.update[0] === 0)).toBe(true);
    });

    it('answers a ping while it can deliver', async () => {
      await expect(a.ping()).resolves.toBeUndefined();
      await expect(b.ping()).resolves.toBeUndefined();
    });

    it('publishing after close does not throw', async () => {
      const docId = newDocId();
      const onB = recorder();
      await b.subscribe(docId, onB.handler, onB.onGap);
      await a.close();
      expect(() => a.publish(update(docId, 1))).not.toThrow();
      await a.close(); // idempotent
    });

    it('calls onGap after B lost its connection, and delivery resumes', async (context) => {
      if (!buses.dropConnectionOfB) {
        context.skip('this bus runs in-process: it has no connection to lose');
        return;
      }
      const [x, y] = [newDocId(), newDocId()];
      const onX = recorder();
      const onY = recorder();
      const onA = recorder();
      await b.subscribe(x, onX.handler, onX.onGap);
      await b.subscribe(y, onY.handler, onY.onGap);
      await a.subscribe(x, onA.handler, onA.onGap);
      a.publish(update(x, 1));
      await waitFor(() => onX.messages.length === 1, 'the first message');

      await buses.dropConnectionOfB();
      await waitFor(() => onX.gaps === 1 && onY.gaps === 1, 'onGap on every subscription of B', 10_000);
      expect(onA.gaps).toBe(0);
      // onGap means the subscription is live again: what A publishes now reaches B.
      a.publish(update(x, 2));
      a.publish(update(y, 3));
      await waitFor(() => onX.messages.length === 2 && onY.messages.length === 1, 'delivery after the reconnect');
      expect(onX.messages.map(plain)).toEqual([plain(update(x, 1)), plain(update(x, 2))]);
      // And B can still publish.
      b.publish(update(x, 4));
      await waitFor(() => onA.messages.length === 1, 'A to hear from B');
    });
  });
}
