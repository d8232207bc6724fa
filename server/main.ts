import http from 'node:http';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { createTandemServer } from './tandem-server';

/** `npm run server`: the sync server and HTTP API alone, without the web app. */
async function main(): Promise<void> {
  const config = loadConfig({ argv: process.argv.slice(2), env: process.env, defaultPort: 1234, name: 'npm run server --' });
  const logger = createLogger(config.logLevel);
  const tandem = await createTandemServer(config, logger);
  const server = http.createServer((req, res) => {
    if (!tandem.handleRequest(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (!tandem.handleUpgrade(req, socket, head)) socket.destroy();
  });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ host: config.host, port, url: `http://${config.host}:${port}` }, 'listening');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server.close();
    tandem.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
