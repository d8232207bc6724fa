/**
 * Hocuspocus 4.7 as its documentation sets it up for a self-hosted production server: the
 * `Server` class with `@hocuspocus/extension-sqlite` on a database file, default debounce
 * (2 s, at most 10 s) for storing, default broadcast coalescing (`flushDelay: 0`), and an
 * `onAuthenticate` hook that checks the connection's token, as Tandem checks its keys.
 *
 * Run: node --import tsx tests/bench/peers/hocuspocus-server.ts (env PORT, HOST, DATA_DIR,
 * BENCH_TOKEN); prints {"msg":"listening","port":N}.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Server } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';

const dataDir = process.env.DATA_DIR ?? './data-hocuspocus';
mkdirSync(dataDir, { recursive: true });
const token = process.env.BENCH_TOKEN ?? 'bench';

const server = new Server({
  port: Number(process.env.PORT ?? 0),
  address: process.env.HOST ?? '127.0.0.1',
  quiet: true,
  extensions: [new SQLite({ database: join(dataDir, 'hocuspocus.sqlite') })],
  async onAuthenticate(data) {
    if (data.token !== token) throw new Error('permission denied');
  },
});

await server.listen();
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: server.address.port })}\n`);
