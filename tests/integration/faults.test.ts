import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, Paths } from '../../lib/protocol';
import { createRedisBus } from '../../server/bus/redis-bus';
import { createPostgresStorage } from '../../server/storage/postgres-storage';
import type { Storage } from '../../server/storage/storage';
import { metric } from '../helpers/metrics';
import { frame } from '../helpers/frames';
import { RawSocket } from '../helpers/raw-socket';
import { connectClient, createDoc, createLink, sqliteStorageLoadingThrough, startServer, tempDir, type Client, type RunningServer } from '../helpers/tandem';
import { OwnPostgres } from '../helpers/own-postgres';
import { waitFor, waitForAsync } from '../helpers/wait';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const servers: RunningServer[] = [];
const clients: Client[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const client of clients) client.destroy();
  for (const server of servers) await server.stop();
  for (const cleanup of cleanups) await cleanup();
});

function open(server: RunningServer, docId: string, key: string): Client {
  const client = connectClient(server.wsUrl, docId, key);
  clients.push(client);
  return client;
}

/** Real SQLite storage whose loads can be held at a gate, as a slow database would hold them. */
function storageWithSlowLoads(dataDir: string) {
  const gate = { armed: false, entered: false, release: () => {} };
  const held = new Promise<void>((resolve) => (gate.release = resolve));
  const storage = sqliteStorageLoadingThrough(dataDir, async (realLoad, docId) => {
    if (gate.armed) {
      gate.entered = true;
      await held;
    }
    return realLoad(docId);
  });
  return { storage, gate };
}

/**
 * Real SQLite storage whose next load, once armed, hands the room a snapshot (of exactly what is
 * stored) that throws when anything copies its bytes out. It stands for any bug that leaves a
 * room's own state unusable: a snapshot detached by a transfer to the fold worker (a thread, then) once made every
 * new reader fail this way for as long as the room stayed loaded. Later loads are sound.
 */
function storageWithOneFaultyLoad(dataDir: string) {
  const fault = { armed: false };
  const storage = sqliteStorageLoadingThrough(dataDir, async (realLoad, docId) => {
    const stored = await realLoad(docId);
    if (!fault.armed) return stored;
    fault.armed = false;
    const doc = new Y.Doc();
    if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
    for (const update of stored.updates) Y.applyUpdate(doc, update);
    const snapshot = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    Object.defineProperty(snapshot, 'subarray', {
      value: () => {
        throw new Error('injected fault: this snapshot cannot be read');
      },
    });
    return { snapshot, updates: [], throughSeq: stored.throughSeq };
  });
  return { storage, fault };
}

describe('recovery from an unexpected error (rule D13)', () => {
  it('a room whose own state fails every new reader is rebuilt from storage after the first failure; later readers are served', async () => {
    const { storage, fault } = storageWithOneFaultyLoad(tempDir());
    const server = await startServer({ overrides: { storage } });
    servers.push(server);
    const { id, ownerKey } = await createDoc(server.url);
    const writer = open(server, id, ownerKey);
    const witness = open(server, id, ownerKey);
    await waitFor(() => writer.provider.synced && witness.provider.synced, 'both to sync');
    writer.text.insert(0, 'kept safe in storage');
    const typed = Y.encodeStateAsUpdate(writer.doc);
    // Relayed only once committed (D1).
    await waitFor(() => witness.text.toString() === 'kept safe in storage', 'the edit to be committed');
    writer.destroy();
    witness.destroy();
    await waitForAsync(async () => (await metric(server.url, 'tandem_documents_loaded')) === 0, 'the document to unload');

    fault.armed = true;
    // Someone who already has the text keeps the room loaded: they are served the difference
    // (nothing), which never copies the faulty bytes.
    const holder = connectClient(server.wsUrl, id, ownerKey);
    clients.push(holder);
    Y.applyUpdate(holder.doc, typed);
    const holderCloses: number[] = [];
    holder.provider.on('connection-close', (event: CloseEvent | null) => holderCloses.push(event?.code ?? 0));
    await waitFor(() => holder.provider.synced, 'the holder to sync');
    expect(fault.armed).toBe(false);

    // A new reader asks for everything: copying the snapshot into its answer throws.
    const rebuildsBefore = await metric(server.url, 'tandem_document_rebuilds_total');
    const first = new RawSocket(`${server.wsUrl}/${id}?key=${ownerKey}`);
    await first.opened;
    first.send(frame(0, 0, Y.encodeStateVector(new Y.Doc())));
    const closed = await first.closed;
    expect(closed.code).toBe(CloseCode.InternalError);
    await waitForAsync(async () => (await metric(server.url, 'tandem_document_rebuilds_total')) === rebuildsBefore + 1, 'the room to rebuild itself');

    // Every reader after it is served from the rebuilt document, and the holder never noticed.
    const later = open(server, id, ownerKey);
    const laterCloses: number[] = [];
    later.provider.on('connection-close', (event: CloseEvent | null) => laterCloses.push(event?.code ?? 0));
    await waitFor(() => later.text.toString() === 'kept safe in storage', 'a later reader to get the text', 10_000);
    expect(laterCloses).toEqual([]);
    expect(holderCloses).toEqual([]);
    expect(await metric(server.url, 'tandem_documents_loaded')).toBe(1);
  }, 30_000);
});

describe('access races (rule A5)', () => {
  it('a link revoked while its connection waits for the document to load is closed with 4403, not served', async () => {
    const { storage, gate } = storageWithSlowLoads(tempDir());
    const server = await startServer({ overrides: { storage } });
    servers.push(server);
    const { id, ownerKey } = await createDoc(server.url);
    const link = await createLink(server.url, id, ownerKey, { role: 'edit' });
    gate.armed = true;
    const socket = new RawSocket(`${server.wsUrl}/${id}?key=${link.key}`);
    await socket.opened;
    await waitFor(() => gate.entered, 'the load to start');
    const revoked = await fetch(`${server.url}${Paths.docs}/${id}/links/${link.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ownerKey}` },
    });
    expect(revoked.status).toBe(204);
    gate.release();
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.Forbidden);
    expect(closed.reason).toMatch(/revoked/);
  });
});

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A Redis server of this test's own, so it can be killed without touching anyone else's. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitFor(() => child.exitCode === null && child.pid !== undefined, 'redis-server started');
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) return child;
    if (child.exitCode !== null) throw new Error('redis-server exited');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('instance faults', () => {
  it('with Redis down: /healthz says so, new opens close with 4500 and a reason, open documents keep working; all recover', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    cleanups.push(() => void redis.kill('SIGKILL'));
    const bus = createRedisBus({ url: `redis://127.0.0.1:${port}`, logger, channelPrefix: `faults:${randomBytes(4).toString('hex')}:`, timeoutMs: 1_000 });
    const server = await startServer({ overrides: { bus } });
    servers.push(server);
    const before = await createDoc(server.url);
    const writer = open(server, before.id, before.ownerKey);
    const reader = open(server, before.id, before.ownerKey);
    await waitFor(() => writer.provider.synced && reader.provider.synced, 'synced while Redis is up');

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    const health = await fetch(`${server.url}${Paths.health}`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', bus: expect.not.stringMatching(/^ok$/) });

    const other = await createDoc(server.url);
    const refused = new RawSocket(`${server.wsUrl}/${other.id}?key=${other.ownerKey}`);
    await refused.opened;
    const closed = await refused.closed;
    expect(closed.code).toBe(CloseCode.InternalError);
    expect(closed.reason.length).toBeGreaterThan(5);

    writer.text.insert(0, 'local relay still works');
    await waitFor(() => reader.text.toString() === 'local relay still works', 'relay on this instance');
    expect(await metric(server.url, 'tandem_bus_errors_total')).toBeGreaterThan(0);

    redis = await startRedis(port);
    await waitForAsync(async () => (await fetch(`${server.url}${Paths.health}`)).status === 200, 'healthy again', 10_000);
    const later = open(server, other.id, other.ownerKey);
    await waitFor(() => later.provider.synced, 'opens work again once Redis is back', 10_000);
  }, 30_000);

  it('with PostgreSQL holding a lock: commits time out and are retried in order; nothing is relayed early or lost', async () => {
    const schema = `tandem_faults_${randomBytes(6).toString('hex')}`;
    const storage = createPostgresStorage({ connectionString: DATABASE_URL, schema, lockTimeoutMs: 300 });
    const server = await startServer({ overrides: { storage } });
    servers.push(server);
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const { id, ownerKey } = await createDoc(server.url);
    const writer = open(server, id, ownerKey);
    const reader = open(server, id, ownerKey);
    await waitFor(() => writer.provider.synced && reader.provider.synced, 'synced');

    // Another session takes the log table, as a stuck migration or a runaway query would.
    const blocker = new pg.Client({ connectionString: DATABASE_URL });
    await blocker.connect();
    await blocker.query(`BEGIN; LOCK TABLE "${schema}".updates IN EXCLUSIVE MODE`);
    const failuresBefore = await metric(server.url, 'tandem_storage_errors_total');
    writer.text.insert(0, 'one ');
    writer.text.insert(4, 'two');
    await waitForAsync(async () => (await metric(server.url, 'tandem_storage_errors_total')) > failuresBefore, 'a commit to fail on the lock', 10_000);
    // A commit has failed on the lock: nothing it held may have reached the reader.
    expect(reader.text.toString()).toBe('');
    await blocker.query('ROLLBACK');
    await blocker.end();
    await waitFor(() => reader.text.toString() === 'one two', 'committed and relayed once the lock is gone', 15_000);
    expect((await fetch(`${server.url}${Paths.health}`)).status).toBe(200);
  }, 30_000);

  it('with PostgreSQL down: nothing is relayed before it is stored, /healthz says so, and everything lands when it returns', async () => {
    const postgres = new OwnPostgres(await freePort());
    cleanups.push(() => postgres.destroy());
    await postgres.start();
    const storage = createPostgresStorage({ connectionString: postgres.url, schema: 'tandem' });
    const server = await startServer({ overrides: { storage } });
    servers.push(server);
    const { id, ownerKey } = await createDoc(server.url);
    const writer = open(server, id, ownerKey);
    const reader = open(server, id, ownerKey);
    await waitFor(() => writer.provider.synced && reader.provider.synced, 'synced');

    await postgres.stop();
    const failuresBefore = await metric(server.url, 'tandem_storage_errors_total');
    writer.text.insert(0, 'typed during the outage');
    await waitForAsync(async () => (await metric(server.url, 'tandem_storage_errors_total')) > failuresBefore, 'a commit to fail', 15_000);
    expect(reader.text.toString()).toBe('');
    expect((await fetch(`${server.url}${Paths.health}`)).status).toBe(503);

    await postgres.start();
    await waitFor(() => reader.text.toString() === 'typed during the outage', 'committed and relayed after the outage', 20_000);
    await waitForAsync(async () => (await fetch(`${server.url}${Paths.health}`)).status === 200, 'healthy again', 10_000);
    const late = open(server, id, ownerKey);
    await waitFor(() => late.text.toString() === 'typed during the outage', 'stored');
  }, 60_000);

  it('after a bus gap, a catch-up that fails is retried until it succeeds, and counted (rule L4)', async () => {
    const schema = `tandem_catchup_${randomBytes(6).toString('hex')}`;
    const channelPrefix = `catchup:${randomBytes(4).toString('hex')}:`;
    const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const instance = async (slow: boolean) => {
      const storage = createPostgresStorage({ connectionString: DATABASE_URL, schema });
      const bus = createRedisBus({ url: REDIS_URL, logger, channelPrefix });
      const failing = { on: false };
      const wrapped: Storage = slow
        ? { ...storage, log: { ...storage.log, append: (e) => storage.log.append(e), compact: (...a) => storage.log.compact(...a), remove: (d) => storage.log.remove(d), load: (d) => (failing.on ? Promise.reject(new Error('injected: load fails')) : storage.log.load(d)) } }
        : storage;
      const server = await startServer({ overrides: { storage: wrapped, bus } });
      servers.push(server);
      return { server, bus, failing };
    };
    const first = await instance(false);
    const second = await instance(true);
    cleanups.push(async () => {
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });
    const { id, ownerKey } = await createDoc(first.server.url);
    const writer = open(first.server, id, ownerKey);
    const reader = open(second.server, id, ownerKey);
    await waitFor(() => writer.provider.synced && reader.provider.synced, 'synced');

    second.failing.on = true;
    const admin = new Redis(REDIS_URL);
    try {
      const list = (await admin.client('LIST')) as string;
      const name = `tandem-bus-${second.bus.instanceId}-sub`;
      const clientId = list.split('\n').find((l) => l.includes(` name=${name} `))?.match(/^id=(\d+) /)?.[1];
      if (!clientId) throw new Error(`no Redis connection named ${name}`);
      await admin.client('KILL', 'ID', clientId);
    } finally {
      admin.disconnect();
    }
    writer.text.insert(0, 'written during the gap');
    await waitForAsync(async () => (await metric(second.server.url, 'tandem_catch_up_failures_total')) > 0, 'a failed catch-up', 15_000);
    second.failing.on = false;
    await waitFor(() => reader.text.toString() === 'written during the gap', 'the retried catch-up', 20_000);
  }, 60_000);
});
