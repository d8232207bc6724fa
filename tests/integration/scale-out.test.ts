import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBus, type RedisBus } from '../../server/bus/redis-bus';
import { createPostgresStorage } from '../../server/storage/postgres-storage';
import { connectClient, createDoc, createLink, startServer, type Client, type RunningServer } from '../helpers/tandem';
import { frame } from '../helpers/frames';
import { RawSocket } from '../helpers/raw-socket';
import { nextEvent, waitFor } from '../helpers/wait';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// Two server instances sharing one PostgreSQL schema and one Redis channel prefix, as two
// processes behind a load balancer would.
const schema = `tandem_scale_${randomBytes(6).toString('hex')}`;
const channelPrefix = `tandemtest:${randomBytes(6).toString('hex')}:`;
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
let first: RunningServer;
let second: RunningServer;
let secondBus: RedisBus;
const clients: Client[] = [];

async function startInstance(): Promise<{ server: RunningServer; bus: RedisBus }> {
  const bus = createRedisBus({ url: REDIS_URL, logger, channelPrefix });
  const storage = createPostgresStorage({ connectionString: DATABASE_URL, schema });
  return { server: await startServer({ overrides: { storage, bus } }), bus };
}

const open = (server: RunningServer, docId: string, key: string): Client => {
  const client = connectClient(server.wsUrl, docId, key);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  first = (await startInstance()).server;
  ({ server: second, bus: secondBus } = await startInstance());
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([first?.stop(), second?.stop()]);
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
});

describe('two instances sharing PostgreSQL and Redis', () => {
  it('edits made on either instance converge on both', async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const edit = await createLink(first.url, id, ownerKey, { role: 'edit' });
    const onFirst = open(first, id, ownerKey);
    const onSecond = open(second, id, edit.key);
    await waitFor(() => onFirst.provider.synced && onSecond.provider.synced, 'both clients synced');

    onFirst.text.insert(0, 'from the first instance. ');
    await waitFor(() => onSecond.text.toString().includes('from the first'), 'the second instance to relay the first one\'s edit');
    onSecond.text.insert(onSecond.text.length, 'from the second instance.');
    await waitFor(() => onFirst.text.toString() === onSecond.text.toString() && onFirst.text.toString().includes('from the second'), 'convergence');

    // Concurrent bursts from both sides.
    const before = onFirst.text.length;
    for (let i = 0; i < 50; i++) {
      onFirst.text.insert(0, 'a');
      onSecond.text.insert(onSecond.text.length, 'b');
    }
    await waitFor(
      () => onFirst.text.length === before + 100 && onFirst.text.toString() === onSecond.text.toString(),
      'convergence after concurrent bursts',
    );
  });

  it('a client joining the other instance loads what the first committed', async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const writer = open(first, id, ownerKey);
    await waitFor(() => writer.provider.synced, 'writer synced');
    writer.text.insert(0, 'committed through PostgreSQL');
    const late = open(second, id, ownerKey);
    await waitFor(() => late.provider.synced && late.text.toString() === 'committed through PostgreSQL', 'the late client to load the text');
  });

  it('a link revoked on the first instance closes its socket on the second with 4403', async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const edit = await createLink(first.url, id, ownerKey, { role: 'edit' });
    const owner = open(first, id, ownerKey);
    const guest = open(second, id, edit.key);
    await waitFor(() => owner.provider.synced && guest.provider.synced, 'synced');
    const closed = nextEvent<[{ code: number; reason: string }]>(guest.provider, 'closed', 5_000);
    const res = await fetch(`${first.url}/api/docs/${id}/links/${edit.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ownerKey}` } });
    expect(res.status).toBe(204);
    const [event] = await closed;
    expect(event.code).toBe(4403);
    expect(owner.provider.wsconnected).toBe(true);
  });

  it('edits relayed while the second instance\'s Redis subscription was down still arrive', async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const writer = open(first, id, ownerKey);
    const reader = open(second, id, ownerKey);
    await waitFor(() => writer.provider.synced && reader.provider.synced, 'synced');

    const admin = new Redis(REDIS_URL);
    try {
      const list = (await admin.client('LIST')) as string;
      const name = `tandem-bus-${secondBus.instanceId}-sub`;
      const clientId = list.split('\n').find((l) => l.includes(` name=${name} `))?.match(/^id=(\d+) /)?.[1];
      if (!clientId) throw new Error(`no Redis connection named ${name}`);
      await admin.client('KILL', 'ID', clientId);
    } finally {
      admin.disconnect();
    }
    // Published while the second instance reconnects: lost on the bus, recovered from storage.
    writer.text.insert(0, 'written during the outage');
    await waitFor(() => reader.text.toString() === 'written during the outage', 'the reader to catch up', 10_000);
    reader.text.insert(reader.text.length, '; and after');
    await waitFor(() => writer.text.toString() === 'written during the outage; and after', 'the writer to hear the reader');
  });

  it('someone joining through the second instance sees at once who is on the first (rule P8)', async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const ada = open(first, id, ownerKey);
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    const beside = open(first, id, ownerKey);
    await waitFor(() => (beside.provider.awareness.getStates().get(ada.doc.clientID) as any)?.user?.name === 'Ada', 'Ada present on the first instance');
    // The second instance opens the document only now. Ada's client renews its presence 15 s
    // after her change, so only the instance's question on opening can bring it within the wait.
    const observer = open(second, id, ownerKey);
    await waitFor(() => (observer.provider.awareness.getStates().get(ada.doc.clientID) as any)?.user?.name === 'Ada', "Ada's presence on the second instance", 5_000);
  });

  it("a connection on one instance cannot overwrite another instance's presence (rule P6)", async () => {
    const { id, ownerKey } = await createDoc(first.url);
    const ada = open(first, id, ownerKey);
    ada.provider.awareness.setLocalStateField('user', { name: 'Ada' });
    const observer = open(second, id, ownerKey);
    await waitFor(() => (observer.provider.awareness.getStates().get(ada.doc.clientID) as any)?.user?.name === 'Ada', "Ada's presence on the second instance");

    const forger = new RawSocket(`${second.wsUrl}/${id}?key=${ownerKey}`);
    await forger.opened;
    const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    // Ada's id at a far newer clock, then an id of the forger's own as a marker that the frame was handled.
    forger.send(frame(1, frame(2, ada.doc.clientID, 1_000, json({ user: { name: 'Mallory' } }), 424242, 1, json({ marker: true }))));
    await waitFor(() => observer.provider.awareness.getStates().has(424242), 'the forger\'s own entry');
    expect((observer.provider.awareness.getStates().get(ada.doc.clientID) as any)?.user?.name).toBe('Ada');
    expect((ada.provider.awareness.getStates().get(ada.doc.clientID) as any)?.user?.name).toBe('Ada');
    forger.ws.close();
  });
});
