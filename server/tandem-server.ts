import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Bus } from './bus/bus';
import { createSoloBus } from './bus/local-bus';
import type { ServerConfig } from './config';
import { createApiHandler } from './http/api';
import type { Logger } from './logger';
import { createMetrics } from './metrics';
import { RoomRegistry } from './rooms/registry';
import { createSqliteStorage } from './storage/sqlite-storage';
import type { Storage } from './storage/storage';
import { createCollabEndpoint } from './transport/collab-endpoint';
import { OutboxFlusher } from './transport/outbox';
import { CloseCode } from '../lib/protocol';

/** The sync server and HTTP API, ready to be mounted on any Node HTTP server. */
export interface TandemServer {
  /** Handles /api/*, /healthz and /metrics; false for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes WebSocket upgrades under /collab/; false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Commits what was accepted, closes every connection with 1012, then closes storage and bus. */
  close(): Promise<void>;
}

/** Seams a caller may supply instead of the ones the config selects (tests run several instances). */
export interface TandemServerOverrides {
  readonly storage?: Storage;
  readonly bus?: Bus;
}

async function openStorage(config: ServerConfig, logger: Logger): Promise<Storage> {
  if (config.databaseUrl) {
    const { createPostgresStorage } = await import('./storage/postgres-storage');
    logger.info('storage: PostgreSQL');
    return createPostgresStorage({ connectionString: config.databaseUrl, logger });
  }
  logger.info({ dataDir: config.dataDir }, 'storage: SQLite');
  return createSqliteStorage({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}

async function openBus(config: ServerConfig, logger: Logger): Promise<Bus> {
  if (config.redisUrl) {
    const { createRedisBus } = await import('./bus/redis-bus');
    logger.info('bus: Redis');
    return createRedisBus({ url: config.redisUrl, logger });
  }
  return createSoloBus();
}

const SHUTDOWN_DRAIN_MS = 10_000;

export async function createTandemServer(config: ServerConfig, logger: Logger, overrides: TandemServerOverrides = {}): Promise<TandemServer> {
  const storage = overrides.storage ?? (await openStorage(config, logger));
  const bus = overrides.bus ?? (await openBus(config, logger));
  const metrics = createMetrics();
  const flusher = new OutboxFlusher();
  const registry = new RoomRegistry({ storage, bus, logger, metrics, beforeNextFlush: (task) => flusher.beforeNextFlush(task) });
  const endpoint = createCollabEndpoint({
    registry,
    storage,
    logger,
    metrics,
    flusher,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedBytes: config.maxBufferedBytes,
  });
  const handleRequest = createApiHandler({ storage, registry, metrics, logger });
  let closing: Promise<void> | null = null;

  return {
    handleRequest,
    handleUpgrade(req, socket, head) {
      if (closing) {
        if (!new URL(req.url ?? '/', 'http://localhost').pathname.startsWith('/collab/')) return false;
        socket.destroy();
        return true;
      }
      return endpoint.handleUpgrade(req, socket, head);
    },
    close() {
      closing ??= (async () => {
        endpoint.close();
        const drained = await registry.shutdown(CloseCode.ServiceRestart, 'server restarting', SHUTDOWN_DRAIN_MS);
        if (!drained) logger.error('shutdown: some accepted updates could not be committed');
        await bus.close();
        await storage.close();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
