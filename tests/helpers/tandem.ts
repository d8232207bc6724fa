import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import { loadConfig, type ServerConfig } from '../../server/config';
import { createTandemServer, type TandemServer, type TandemServerOverrides } from '../../server/tandem-server';
import { createSqliteStorage } from '../../server/storage/sqlite-storage';
import type { StoredDoc } from '../../server/storage/doc-log';
import type { Storage } from '../../server/storage/storage';

// Every stock WebsocketProvider adds a process 'exit' listener in Node.js; tests open many.
process.setMaxListeners(200);

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  readonly dataDir: string;
  readonly tandem: TandemServer;
  /** Graceful stop (flush, 1012); the data directory is kept for a restart. */
  stop(): Promise<void>;
}

export function tempDir(prefix = 'tandem-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real server on 127.0.0.1, port 0, storing in `dataDir` (a fresh temp dir by default). */
export async function startServer(options: { dataDir?: string; config?: Partial<ServerConfig>; overrides?: TandemServerOverrides } = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir();
  const config: ServerConfig = {
    // The server's own defaults, so tests run what users run...
    ...loadConfig({ argv: [], env: {}, defaultPort: 0 }),
    dataDir,
    maxFrameBytes: 1024 * 1024,
    logLevel: 'silent',
    // ...except the per-address limits: every test client comes from 127.0.0.1. The tests of
    // those limits set their own.
    requestsPerMinutePerIp: 1_000_000,
    docsPerHourPerIp: 1_000_000,
    maxConnectionsPerIp: 100_000,
    ...options.config,
  };
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const tandem = await createTandemServer(config, logger, options.overrides);
  const server = http.createServer((req, res) => {
    if (!tandem.handleRequest(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (!tandem.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/collab`,
    dataDir,
    tandem,
    async stop() {
      await tandem.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Real SQLite storage in `dataDir` whose document loads go through `load`, which is given the
 * real one: for tests that count, hold or alter what a room loads.
 */
export function sqliteStorageLoadingThrough(
  dataDir: string,
  load: (realLoad: (docId: DocId) => Promise<StoredDoc>, docId: DocId) => Promise<StoredDoc>,
): Storage {
  const inner = createSqliteStorage({ dataDir, synchronous: 'NORMAL' });
  return { ...inner, log: { ...inner.log, load: (docId) => load((id) => inner.log.load(id), docId) } };
}

/**
 * SQLite storage in `dataDir` that counts how often each document is read from its log: a test
 * of "loads once" or "unloads" counts loads instead of reading a gauge of what is in memory.
 */
export function countingStorage(dataDir: string): { storage: Storage; loads(docId: string): number; totalLoads(): number } {
  const counts = new Map<string, number>();
  const storage = sqliteStorageLoadingThrough(dataDir, (realLoad, docId) => {
    counts.set(docId, (counts.get(docId) ?? 0) + 1);
    return realLoad(docId);
  });
  return {
    storage,
    loads: (docId) => counts.get(docId) ?? 0,
    totalLoads: () => [...counts.values()].reduce((a, b) => a + b, 0),
  };
}

export async function createDoc(baseUrl: string): Promise<{ id: string; ownerKey: string }> {
  const res = await fetch(`${baseUrl}/api/docs`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`POST /api/docs answered ${res.status}`);
  return (await res.json()) as { id: string; ownerKey: string };
}

export async function createLink(
  baseUrl: string,
  docId: string,
  ownerKey: string,
  body: { role: 'edit' | 'comment' | 'view'; expiresAt?: string },
): Promise<{ id: string; key: string; role: string; expiresAt: string | null }> {
  const res = await fetch(`${baseUrl}/api/docs/${docId}/links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ownerKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST links answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; key: string; role: string; expiresAt: string | null };
}

export interface Client {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly text: Y.Text;
  destroy(): void;
}

/** A stock y-websocket client, exactly as a user's Node.js code would make one. */
export function connectClient(wsUrl: string, docId: string, key: string | null, extraParams: Record<string, string> = {}): Client {
  const doc = new Y.Doc();
  const params: Record<string, string> = { ...extraParams };
  if (key !== null) params.key = key;
  const provider = new WebsocketProvider(wsUrl, docId, doc, {
    params,
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  });
  return {
    doc,
    provider,
    text: doc.getText('t'),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/**
 * One real server for a whole test file, with every client it opens destroyed at the end:
 * call in the file's top level, then use `open(docId, key)` in the tests.
 */
export function serverForFile(hooks: { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void }) {
  const clients: Client[] = [];
  const state = { server: null as RunningServer | null };
  hooks.beforeAll(async () => {
    state.server = await startServer();
  });
  hooks.afterAll(async () => {
    for (const c of clients) c.destroy();
    await state.server?.stop();
  });
  return {
    get server(): RunningServer {
      if (!state.server) throw new RangeError('the server starts in beforeAll');
      return state.server;
    },
    open(docId: string, key: string | null): Client {
      const client = connectClient(state.server!.wsUrl, docId, key);
      clients.push(client);
      return client;
    },
  };
}
