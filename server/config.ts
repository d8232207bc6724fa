import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

/** Everything the server reads from its command line and environment, validated once at start. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Directory of the embedded SQLite database (unused when databaseUrl is set). */
  readonly dataDir: string;
  /** `postgres://…`: store in PostgreSQL instead of SQLite. */
  readonly databaseUrl: string | undefined;
  /** `redis://…`: relay between several server instances. */
  readonly redisUrl: string | undefined;
  /** Largest WebSocket frame accepted; bigger ones close the connection with 1009. */
  readonly maxFrameBytes: number;
  /** A connection whose unsent bytes pass this is closed with 1013 (it resyncs on reconnect). */
  readonly maxBufferedBytes: number;
  /** SQLite's `synchronous` setting: NORMAL survives process crashes, FULL also power loss. */
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  /** Log level for pino. */
  readonly logLevel: string;
  /** Origins besides the server's own whose pages may use the API and open documents. */
  readonly allowedOrigins: readonly string[];
  /** Take the client address from `X-Forwarded-For` (behind a reverse proxy that sets it). */
  readonly trustProxy: boolean;
  /** Open WebSocket connections in total, and from one address. */
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** WebSocket upgrades and API requests one address may make per minute. */
  readonly requestsPerMinutePerIp: number;
  /** Documents one address may create per hour. */
  readonly docsPerHourPerIp: number;
  /** Largest request body that carries document content (content API, new documents); bigger ones get 413. */
  readonly maxContentBytes: number;
  /** Automatic versions: after this many seconds without changes, and at most this many minutes apart while people type. */
  readonly versionPauseSeconds: number;
  readonly versionIntervalMinutes: number;
  /** Retention of automatic versions: all for this many hours, then one an hour until this many days, then one a day. */
  readonly versionKeepAllHours: number;
  readonly versionHourlyDays: number;
}

export interface LoadConfigOptions {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly defaultPort: number;
  /** Name shown in --help. */
  readonly name?: string;
}

/**
 * A content body is a whole document: 2 MiB holds about a book of Markdown, yet bounds what one
 * request makes the server parse and write in one change.
 */
export const DEFAULT_MAX_CONTENT_BYTES = 2 * 1024 * 1024;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  }
  return port;
}

function parseBytes(value: string): number {
  const bytes = Number(value);
  if (!Number.isInteger(bytes) || bytes < 1024) throw new InvalidArgumentError('expected a whole number of bytes, at least 1024');
  return bytes;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
  return count;
}

function parseOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new InvalidArgumentError(`expected origins like https://docs.example.com, got ${JSON.stringify(origin)}`);
    }
    if (url.origin !== origin.replace(/\/+$/, '')) throw new InvalidArgumentError(`expected an origin (scheme://host[:port]), got ${JSON.stringify(origin)}`);
  }
  return origins;
}

function parseBoolean(value: string): boolean {
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no', ''].includes(value.toLowerCase())) return false;
  throw new InvalidArgumentError('expected true or false');
}

function parseUrl(protocols: readonly string[]) {
  return (value: string): string => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`expected a ${protocols[0]}//… URL`);
    }
    if (!protocols.includes(url.protocol)) throw new InvalidArgumentError(`expected a ${protocols.join(' or ')}//… URL`);
    return value;
  };
}

/**
 * Reads the configuration: a flag wins over its environment variable, which wins over the
 * default. Prints help and exits on `--help`; exits with a clear message on a bad value.
 */
export function loadConfig(options: LoadConfigOptions): ServerConfig {
  const { env } = options;
  const program = new Command(options.name ?? 'tandem')
    .description('Tandem sync server: y-websocket protocol, link keys, durable before relay')
    .addOption(new Option('--port <port>', 'port to listen on (0 picks a free one)').env('PORT').argParser(parsePort).default(options.defaultPort))
    .addOption(new Option('--host <host>', 'address to bind; 0.0.0.0 to serve a network').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--data-dir <dir>', 'where the embedded SQLite database lives').env('DATA_DIR').default('./data'))
    .addOption(new Option('--database-url <url>', 'postgres://…: store in PostgreSQL instead of SQLite').env('DATABASE_URL').argParser(parseUrl(['postgres:', 'postgresql:'])))
    .addOption(new Option('--redis-url <url>', 'redis://…: relay between several server instances').env('REDIS_URL').argParser(parseUrl(['redis:', 'rediss:'])))
    .addOption(new Option('--max-frame-bytes <bytes>', 'largest WebSocket frame accepted').env('MAX_FRAME_BYTES').argParser(parseBytes).default(16 * 1024 * 1024))
    .addOption(new Option('--max-buffered-bytes <bytes>', 'unsent bytes after which a slow client is disconnected').env('MAX_BUFFERED_BYTES').argParser(parseBytes).default(32 * 1024 * 1024))
    .addOption(
      new Option('--sqlite-synchronous <mode>', 'NORMAL: commits survive a killed process; FULL: also power loss (fsync per commit)')
        .env('SQLITE_SYNCHRONOUS')
        .choices(['NORMAL', 'FULL'])
        .default('NORMAL'),
    )
    .addOption(new Option('--allowed-origins <origins>', 'comma-separated origins besides this server whose pages may use it').env('ALLOWED_ORIGINS').argParser(parseOrigins).default([]))
    .addOption(new Option('--trust-proxy <bool>', 'take client addresses from X-Forwarded-For (behind a reverse proxy)').env('TRUST_PROXY').argParser(parseBoolean).default(false))
    .addOption(new Option('--max-connections <n>', 'open WebSocket connections in total').env('MAX_CONNECTIONS').argParser(parseCount).default(10_000))
    .addOption(new Option('--max-connections-per-ip <n>', 'open WebSocket connections from one address').env('MAX_CONNECTIONS_PER_IP').argParser(parseCount).default(256))
    .addOption(new Option('--requests-per-minute-per-ip <n>', 'WebSocket upgrades and API requests one address may make per minute').env('REQUESTS_PER_MINUTE_PER_IP').argParser(parseCount).default(600))
    .addOption(new Option('--docs-per-hour-per-ip <n>', 'documents one address may create per hour').env('DOCS_PER_HOUR_PER_IP').argParser(parseCount).default(120))
    .addOption(
      new Option('--max-content-bytes <bytes>', 'largest request body carrying document content (POST /api/docs, /content)')
        .env('MAX_CONTENT_BYTES')
        .argParser(parseBytes)
        .default(DEFAULT_MAX_CONTENT_BYTES),
    )
    .addOption(new Option('--version-pause-seconds <n>', 'take an automatic version after this many seconds without changes').env('VERSION_PAUSE_SECONDS').argParser(parseCount).default(30))
    .addOption(new Option('--version-interval-minutes <n>', 'while people keep typing, take an automatic version this often').env('VERSION_INTERVAL_MINUTES').argParser(parseCount).default(5))
    .addOption(new Option('--version-keep-all-hours <n>', 'keep every automatic version this many hours').env('VERSION_KEEP_ALL_HOURS').argParser(parseCount).default(24))
    .addOption(new Option('--version-hourly-days <n>', 'then one automatic version an hour until this many days, then one a day').env('VERSION_HOURLY_DAYS').argParser(parseCount).default(7))
    .addOption(new Option('--log-level <level>', 'log level').env('LOG_LEVEL').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .allowUnknownOption(false)
    .helpOption('-h, --help', 'show this help');
  // commander reads env itself through Option.env(); hand it ours so tests can pass their own.
  const saved = process.env;
  process.env = { ...env } as NodeJS.ProcessEnv;
  try {
    program.parse([...options.argv], { from: 'user' });
  } finally {
    process.env = saved;
  }
  const o = program.opts<{
    port: number | string;
    host: string;
    dataDir: string;
    databaseUrl?: string;
    redisUrl?: string;
    maxFrameBytes: number | string;
    maxBufferedBytes: number | string;
    sqliteSynchronous: 'NORMAL' | 'FULL';
    logLevel: string;
    allowedOrigins: string[] | string;
    trustProxy: boolean | string;
    maxConnections: number | string;
    maxConnectionsPerIp: number | string;
    requestsPerMinutePerIp: number | string;
    docsPerHourPerIp: number | string;
    maxContentBytes: number | string;
    versionPauseSeconds: number | string;
    versionIntervalMinutes: number | string;
    versionKeepAllHours: number | string;
    versionHourlyDays: number | string;
  }>();
  const count = (v: number | string) => (typeof v === 'number' ? v : parseCount(v));
  return {
    host: o.host,
    port: typeof o.port === 'number' ? o.port : parsePort(o.port),
    dataDir: path.resolve(o.dataDir),
    databaseUrl: o.databaseUrl || undefined,
    redisUrl: o.redisUrl || undefined,
    maxFrameBytes: typeof o.maxFrameBytes === 'number' ? o.maxFrameBytes : parseBytes(o.maxFrameBytes),
    maxBufferedBytes: typeof o.maxBufferedBytes === 'number' ? o.maxBufferedBytes : parseBytes(o.maxBufferedBytes),
    sqliteSynchronous: o.sqliteSynchronous,
    logLevel: o.logLevel,
    allowedOrigins: typeof o.allowedOrigins === 'string' ? parseOrigins(o.allowedOrigins) : o.allowedOrigins,
    trustProxy: typeof o.trustProxy === 'string' ? parseBoolean(o.trustProxy) : o.trustProxy,
    maxConnections: count(o.maxConnections),
    maxConnectionsPerIp: count(o.maxConnectionsPerIp),
    requestsPerMinutePerIp: count(o.requestsPerMinutePerIp),
    docsPerHourPerIp: count(o.docsPerHourPerIp),
    maxContentBytes: typeof o.maxContentBytes === 'number' ? o.maxContentBytes : parseBytes(o.maxContentBytes),
    versionPauseSeconds: count(o.versionPauseSeconds),
    versionIntervalMinutes: count(o.versionIntervalMinutes),
    versionKeepAllHours: count(o.versionKeepAllHours),
    versionHourlyDays: count(o.versionHourlyDays),
  };
}
