import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DocId } from '../../lib/doc-id';
import type { BusMessage } from '../../server/bus/bus';
import { LocalBusHub } from '../../server/bus/local-bus';
import { createRedisBus } from '../../server/bus/redis-bus';
import { waitFor } from '../helpers/wait';
import { runBusContract } from './bus-contract';

/** Overridable for other machines. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

runBusContract('LocalBusHub', async () => {
  const hub = new LocalBusHub();
  const a = hub.connect();
  const b = hub.connect();
  return {
    a,
    b,
    async cleanup() {
      await Promise.all([a.close(), b.close()]);
    },
  };
});

runBusContract('Redis', async () => {
  // A random prefix per test: parallel runs and leftovers of earlier runs never cross.
  const channelPrefix = `tandemtest:${randomBytes(6).toString('hex')}:`;
  const a = createRedisBus({ url: REDIS_URL, logger, channelPrefix });
  const b = createRedisBus({ url: REDIS_URL, logger, channelPrefix });
  const admin = new Redis(REDIS_URL);
  return {
    a,
    b,
    async dropConnectionOfB() {
      // The subscriber connection names itself (CLIENT SETNAME) after its instance id.
      const list = (await admin.client('LIST')) as string;
      const name = `tandem-bus-${b.instanceId}-sub`;
      const line = list.split('\n').find((l) => l.includes(` name=${name} `));
      const id = line?.match(/^id=(\d+) /)?.[1];
      if (!id) throw new Error(`no Redis connection named ${name}`);
      const count = await admin.client('KILL', 'ID', id);
      if (count !== 1) throw new Error(`CLIENT KILL ID ${id} killed ${String(count)} connections`);
    },
    async cleanup() {
      await Promise.all([a.close(), b.close()]);
      admin.disconnect();
    },
  };
});

describe('Redis bus: messages dropped by the publisher', () => {
  it('reach subscribers as onGap once publishing works again', async () => {
    const channelPrefix = `tandemtest:${randomBytes(6).toString('hex')}:`;
    // A backlog bound smaller than one message: the big message is dropped, as in a long outage.
    const a = createRedisBus({ url: REDIS_URL, logger, channelPrefix, maxPendingBytes: 1024 });
    const b = createRedisBus({ url: REDIS_URL, logger, channelPrefix });
    try {
      const docId = `bus_${randomBytes(6).toString('hex')}` as DocId;
      const received: BusMessage[] = [];
      let gaps = 0;
      await b.subscribe(docId, (m) => received.push(m), () => gaps++);
      a.publish({ kind: 'update', docId, update: new Uint8Array(4096) });
      a.publish({ kind: 'update', docId, update: Uint8Array.from([1]) });
      await waitFor(() => gaps === 1 && received.length === 1, 'the small update and a gap');
      expect(received[0]).toMatchObject({ kind: 'update', docId });
      expect(received[0]?.kind === 'update' && [...received[0].update]).toEqual([1]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
