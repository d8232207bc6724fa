import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, Paths } from '../lib/protocol';
import type { Bus } from './bus/bus';
import { createSoloBus } from './bus/local-bus';
import type { ServerConfig } from './config';
import { createApiHandler } from './http/api';
import type { ApiDeps } from './http/api-deps';
import type { Logger } from './logger';
import { createMetrics } from './metrics';
import { DEFAULT_PRESENCE_LIMITS, type PresenceLimits } from './rooms/presence';
import { RoomRegistry } from './rooms/registry';
import { createNodeScheduler, type Scheduler } from './scheduler';
import { createSqliteStorage } from './storage/sqlite-storage';
import type { Storage } from './storage/storage';
import { Admission } from './transport/admission';
import { createCollabEndpoint } from './transport/collab-endpoint';
import { OutboxFlusher } from './transport/outbox';
import { Versions } from './versions/versions';

/** The sync server and HTTP API, ready to be mounted on any Node HTTP server. */
export interface TandemServer {
  /** Handles /api/*, /healthz and /metrics; false for other paths. */
  handleRequest(req: IncomingMessage, res: ServerResponse): boolean;
  /** Takes WebSocket upgrades under /collab/; false for other paths. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Commits what was accepted, closes every connection with 1012, then closes storage and bus. */
  close(): Promise<void>;
}

/** Seams a caller may supply instead of the ones the config selects (tests run several instances, or drive the clock). */
export interface TandemServerOverrides {
  readonly storage?: Storage;
  readonly bus?: Bus;
  readonly scheduler?: Scheduler;
}

async function openStorage(config: ServerConfig, logger: Logger): Promise<Storage> {
  if (config.databaseUrl) {
    const { createPostgresStorage } = await import('./storage/postgres-storage');
    logger.info('storage: PostgreSQL');
    return createPostgresStorage({ connectionString: config.databaseUrl, logger });
  }
  logger.info({ dataDir: config.dataDir }, 'storage: SQLite');
  return createSqliteStorage({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous, logger });
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

/** Wires the server from its configuration: the one place where every part is made and connected. */
/**
 * Stock clients echo every presence change they receive, so a newcomer sends back, in one frame,
 * everything present when it joined: keep that well under the frame limit, or joining a busy
 * document would close the newcomer with 1009 (rule P5).
 */
function presenceLimitsFor(maxFrameBytes: number): PresenceLimits {
  const maxDocumentStateBytes = Math.min(DEFAULT_PRESENCE_LIMITS.maxDocumentStateBytes, Math.floor(maxFrameBytes / 4));
  return { ...DEFAULT_PRESENCE_LIMITS, maxDocumentStateBytes, maxStateBytes: Math.min(DEFAULT_PRESENCE_LIMITS.maxStateBytes, maxDocumentStateBytes) };
}

export async function createTandemServer(config: ServerConfig, logger: Logger, overrides: TandemServerOverrides = {}): Promise<TandemServer> {
  const storage = overrides.storage ?? (await openStorage(config, logger));
  const bus = overrides.bus ?? (await openBus(config, logger));
  const scheduler = overrides.scheduler ?? createNodeScheduler(logger);
  const metrics = createMetrics();
  const flusher = new OutboxFlusher(scheduler.soon);
  // The registry takes automatic versions through Versions, which reads and changes documents through the registry.
  let versions: Versions | null = null;
  const registry = new RoomRegistry({
    log: storage.log,
    links: storage.links,
    bus,
    logger,
    metrics,
    scheduler,
    beforeNextFlush: (task) => flusher.beforeNextFlush(task),
    presenceLimits: presenceLimitsFor(config.maxFrameBytes),
    autoVersions: {
      policy: { pauseMs: config.versionPauseSeconds * 1000, maxIntervalMs: config.versionIntervalMinutes * 60_000 },
      take: async (docId, authors, state) => versions?.take(docId, null, authors, state),
    },
  });
  versions = new Versions({
    store: storage.versions,
    rooms: registry,
    exists: async (docId) => (await storage.links.listLinks(docId)).length > 0,
    scheduler,
    logger,
    retention: { keepAllMs: config.versionKeepAllHours * 3_600_000, hourlyUntilMs: config.versionHourlyDays * 86_400_000 },
  });
  const admission = new Admission({
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    requestsPerMinutePerIp: config.requestsPerMinutePerIp,
    docsPerHourPerIp: config.docsPerHourPerIp,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
  });
  const endpoint = createCollabEndpoint({
    registry,
    links: storage.links,
    admission,
    logger,
    metrics,
    scheduler,
    flusher,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedBytes: config.maxBufferedBytes,
  });
  const deps: ApiDeps = { storage, registry, bus, admission, metrics, logger, scheduler, versions, maxContentBytes: config.maxContentBytes };
  const handleRequest = createApiHandler(deps);
  let closing: Promise<void> | null = null;

  return {
    handleRequest,
    handleUpgrade(req, socket, head) {
      if (closing) {
        if (!new URL(req.url ?? '/', 'http://localhost').pathname.startsWith(`${Paths.collab}/`)) return false;
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
