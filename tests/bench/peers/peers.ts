/**
 * The servers under test, each started in its own process pinned to the server core, and how a
 * client reaches a document on each. Tandem first; the rest are the peers it is measured against.
 */
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listeningPort, nodeArgs, spawnProc, type Proc } from '../harness/process';

export type PeerId = 'tandem' | 'hocuspocus' | 'y-websocket' | 'relay';
/** Which client library talks to the server. */
export type ClientProtocol = 'y-websocket' | 'hocuspocus';

/** Everything a load-generator client needs to open one document (serializable, sent over IPC). */
export interface DocTarget {
  readonly protocol: ClientProtocol;
  /** WebSocket base URL; y-websocket appends `/<name>`, Hocuspocus sends the name in-band. */
  readonly url: string;
  readonly name: string;
  /** y-websocket query parameters (Tandem's `key`). */
  readonly params: Readonly<Record<string, string>>;
  /** Hocuspocus token. */
  readonly token?: string;
}

export interface RunningServer {
  readonly peer: PeerId;
  readonly proc: Proc;
  readonly port: number;
  /** Creates a document the way each server wants it (Tandem: through its HTTP API). */
  createDoc(): Promise<DocTarget>;
  createDocs(count: number): Promise<DocTarget[]>;
  /** The target for a document that already exists (e.g. in a data directory this server was started on). */
  existingDoc(name: string, params?: Readonly<Record<string, string>>): DocTarget;
  stop(): Promise<void>;
}

export interface PeerSpec {
  readonly id: PeerId;
  readonly label: string;
  /** How the server was set up, for the report. */
  readonly setup: string;
  readonly clients: string;
  readonly protocol: ClientProtocol;
  /** True if the server keeps documents in storage (the relay keeps nothing). */
  readonly stores: boolean;
}

/**
 * Every benchmark client comes from 127.0.0.1, so Tandem's per-address admission limits (meant
 * for one person's browser) are raised to let one address be the whole crowd; the total too,
 * since many-docs opens 9,950 documents with two clients each (the default allows 10,000).
 */
const ONE_ADDRESS_LOAD = {
  MAX_CONNECTIONS: '1000000',
  MAX_CONNECTIONS_PER_IP: '1000000',
  REQUESTS_PER_MINUTE_PER_IP: '100000000',
  DOCS_PER_HOUR_PER_IP: '100000000',
};

export const PEERS: Readonly<Record<PeerId, PeerSpec>> = {
  tandem: {
    id: 'tandem',
    label: 'Tandem',
    setup:
      '`server/main.ts` (`npm run server`) with its defaults: embedded SQLite in `DATA_DIR`, every relayed update committed first; per-address admission limits raised, since every client comes from 127.0.0.1.',
    clients: '`y-websocket` 3.1 `WebsocketProvider`, key from `POST /api/docs`',
    protocol: 'y-websocket',
    stores: true,
  },
  hocuspocus: {
    id: 'hocuspocus',
    label: 'Hocuspocus 4.7',
    setup:
      '`new Server({ extensions: [new SQLite({ database: <file> })], onAuthenticate })` as its docs show for production: SQLite on a file, stores debounced by its defaults (2 s, at most 10 s), broadcasts coalesced per event-loop turn (`flushDelay: 0`, default).',
    clients: '`@hocuspocus/provider` 4.7 `HocuspocusProvider`, one socket each, token auth',
    protocol: 'hocuspocus',
    stores: true,
  },
  'y-websocket': {
    id: 'y-websocket',
    label: 'y-websocket server 0.1.1',
    setup:
      'its own bin (`@y/websocket-server/src/server.js`) unchanged, with `YPERSISTENCE=<dir>` (LevelDB through y-leveldb), as its README recommends for persistence.',
    clients: '`y-websocket` 3.1 `WebsocketProvider`',
    protocol: 'y-websocket',
    stores: true,
  },
  relay: {
    id: 'relay',
    label: 'bare ws relay',
    setup:
      '`tests/bench/peers/relay-server.ts`: `ws` 8 forwarding update and awareness frames byte for byte to the other sockets of the room; no Y.Doc, no storage.',
    clients: '`y-websocket` 3.1 `WebsocketProvider`',
    protocol: 'y-websocket',
    stores: false,
  },
};

export interface StartOptions {
  readonly cpu: number;
  /** A fresh directory for this server's data. */
  readonly dataDir: string;
  readonly timeoutMs: number;
  /** Extra node flags (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

const HOST = '127.0.0.1';
/** Where, in the relay's data directory, it finds `<document>.update` snapshots to serve. */
export const RELAY_SNAPSHOTS = 'snapshots';
const HOCUSPOCUS_TOKEN = 'bench-token';

/**
 * The Node.js flags `npm run server` gives Tandem's server (package.json), so the benchmark
 * runs the server exactly as users start it.
 */
export function tandemServerFlags(root = process.cwd()): string[] {
  const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.server ?? '';
  // `node <flags> --import tsx server/main.ts`: the flags are what comes before `--import`.
  const words = script.split(/\s+/);
  return words.slice(1, Math.max(1, words.indexOf('--import'))).filter((word) => word.startsWith('--'));
}

/** Starts one server and waits until it listens. */
export async function startServer(peer: PeerId, options: StartOptions): Promise<RunningServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const flags = options.nodeFlags ?? [];
  const common = { cpu: options.cpu, timeoutMs: options.timeoutMs, name: peer };
  let proc: Proc;
  let port: number;
  switch (peer) {
    case 'tandem': {
      proc = spawnProc('node', nodeArgs('server/main.ts', [...tandemServerFlags(), ...flags]), {
        ...common,
        env: { PORT: '0', HOST, DATA_DIR: options.dataDir, LOG_LEVEL: 'info', ...ONE_ADDRESS_LOAD, ...options.env },
      });
      port = await proc.waitForLine(listeningPort, 30_000);
      break;
    }
    case 'hocuspocus': {
      proc = spawnProc('node', nodeArgs('tests/bench/peers/hocuspocus-server.ts', flags), {
        ...common,
        env: { PORT: '0', HOST, DATA_DIR: options.dataDir, BENCH_TOKEN: HOCUSPOCUS_TOKEN, ...options.env },
      });
      port = await proc.waitForLine(listeningPort, 30_000);
      break;
    }
    case 'y-websocket': {
      // Its bin prints the port it was given, so pick a free one for it.
      port = await freePort();
      proc = spawnProc('node', [...flags, 'node_modules/@y/websocket-server/src/server.js'], {
        ...common,
        env: { PORT: String(port), HOST, YPERSISTENCE: join(options.dataDir, 'leveldb'), ...options.env },
      });
      await proc.waitForLine((line) => (line.startsWith('running at') ? true : undefined), 30_000);
      break;
    }
    case 'relay': {
      // It stores nothing; the cold load gives it snapshots to hold in memory (the floor).
      const snapshots = join(options.dataDir, RELAY_SNAPSHOTS);
      proc = spawnProc('node', nodeArgs('tests/bench/peers/relay-server.ts', flags), {
        ...common,
        env: { PORT: '0', HOST, ...(existsSync(snapshots) ? { SNAPSHOT_DIR: snapshots } : {}), ...options.env },
      });
      port = await proc.waitForLine(listeningPort, 30_000);
      break;
    }
  }
  const base = `${HOST}:${port}`;
  let counter = 0;
  const existingDoc = (name: string, params: Readonly<Record<string, string>> = {}): DocTarget => {
    switch (peer) {
      case 'tandem':
        return { protocol: 'y-websocket', url: `ws://${base}/collab`, name, params };
      case 'hocuspocus':
        return { protocol: 'hocuspocus', url: `ws://${base}`, name, params: {}, token: HOCUSPOCUS_TOKEN };
      case 'y-websocket':
      case 'relay':
        return { protocol: 'y-websocket', url: `ws://${base}`, name, params: {} };
    }
  };
  const createDoc = async (): Promise<DocTarget> => {
    counter += 1;
    const name = `bench-${process.pid}-${Date.now().toString(36)}-${counter}`;
    switch (peer) {
      case 'tandem': {
        const res = await fetch(`http://${base}/api/docs`, { method: 'POST' });
        if (res.status !== 201) throw new Error(`tandem: POST /api/docs answered ${res.status}: ${await res.text()}`);
        const body = (await res.json()) as { id: string; ownerKey: string };
        return existingDoc(body.id, { key: body.ownerKey });
      }
      default:
        return existingDoc(name);
    }
  };
  return {
    peer,
    proc,
    port,
    createDoc,
    existingDoc,
    async createDocs(count: number): Promise<DocTarget[]> {
      const docs: DocTarget[] = [];
      // A few requests in flight at a time: enough to be quick, few enough to stay polite.
      const inFlight = 16;
      for (let i = 0; i < count; i += inFlight) {
        const batch = Math.min(inFlight, count - i);
        docs.push(...(await Promise.all(Array.from({ length: batch }, createDoc))));
      }
      return docs;
    },
    stop: () => proc.stop(),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
