/**
 * `npm start`: the whole product on one port. The Next.js app, the sync server and the HTTP API
 * share one HTTP server; the sync server gets the first look at every request and upgrade.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { loadConfig } from './config';
import { createLogger, type Logger } from './logger';
import { createTandemServer } from './tandem-server';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs `next build`, its output on stderr so stdout stays JSON log lines. */
function buildApp(logger: Logger): Promise<void> {
  logger.info({ msg: 'building the web app (no .next/BUILD_ID yet)' });
  const bin = path.join(repoRoot, 'node_modules', '.bin', process.platform === 'win32' ? 'next.cmd' : 'next');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['build'], { cwd: repoRoot, stdio: ['ignore', process.stderr, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`next build exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  // A self-hosted product does not report usage to anyone unless its operator asks for it.
  process.env.NEXT_TELEMETRY_DISABLED ??= '1';
  const args = process.argv.slice(2);
  const dev = args.includes('--dev');
  const config = loadConfig({ argv: args.filter((a) => a !== '--dev'), env: process.env, defaultPort: 3000, name: 'npm start' });
  const logger = createLogger(config.logLevel);

  if (!dev && !existsSync(path.join(repoRoot, '.next', 'BUILD_ID'))) await buildApp(logger);

  const tandem = await createTandemServer(config, logger);
  const nextApp = next({ dev, dir: repoRoot, hostname: config.host, port: config.port });
  await nextApp.prepare();
  const handleNext = nextApp.getRequestHandler();
  const upgradeNext = nextApp.getUpgradeHandler();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (tandem.handleRequest(req, res)) return;
    handleNext(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'next request failed');
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (tandem.handleUpgrade(req, socket, head)) return;
    // Only dev mode has an upgrade to serve (hot reload); anything else is not ours.
    if (!dev) {
      socket.destroy();
      return;
    }
    upgradeNext(req, socket, head).catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  logger.info({ msg: 'listening', port, url: `http://${shownHost}:${port}`, dev });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ msg: 'stopping', signal });
    try {
      await tandem.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await nextApp.close();
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad config); stderr keeps the message visible either way.
  console.error(err);
  process.exit(1);
});
