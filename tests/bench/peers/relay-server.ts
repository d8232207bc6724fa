/**
 * The floor: a bare `ws` relay that forwards every document update and awareness frame, byte
 * for byte, to the other sockets on the same URL path. No Y.Doc, no storage. To let stock
 * y-websocket clients reach "synced", it answers every sync step 1 with one constant, empty
 * sync step 2, and drops clients' sync steps instead of relaying them; so it only serves clients
 * that all join before the first edit, which is what the benchmarks do.
 *
 * For the cold load it is the floor too: with `SNAPSHOT_DIR` set, each `<room>.update` file in
 * it is read into memory at start, and a sync step 1 in that room is answered with the file's
 * bytes as they are, at once (what any server holding the document already encoded must send).
 *
 * Run: node --import tsx tests/bench/peers/relay-server.ts (env PORT, HOST, SNAPSHOT_DIR); prints
 * {"msg":"listening","port":N}.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join as joinPath } from 'node:path';
import * as encoding from 'lib0/encoding';
import { WebSocketServer, type WebSocket } from 'ws';

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
/** messageSync, syncStep2, varUint8Array([0, 0]) = an update with no structs and an empty delete set. */
const EMPTY_STEP2 = Uint8Array.of(MESSAGE_SYNC, SYNC_STEP2, 2, 0, 0);

const rooms = new Map<string, Set<WebSocket>>();
/** Sync step 2 of each stored snapshot, by room path, encoded once at start. */
const snapshotSteps = readSnapshots(process.env.SNAPSHOT_DIR);

function readSnapshots(dir: string | undefined): Map<string, Uint8Array> {
  const steps = new Map<string, Uint8Array>();
  if (!dir) return steps;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.update')) continue;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    encoding.writeVarUint(encoder, SYNC_STEP2);
    encoding.writeVarUint8Array(encoder, readFileSync(joinPath(dir, file)));
    steps.set(`/${file.slice(0, -'.update'.length)}`, encoding.toUint8Array(encoder));
  }
  return steps;
}

const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('relay');
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

http.on('upgrade', (req, socket, head) => {
  const room = (req.url ?? '/').split('?')[0] ?? '/';
  wss.handleUpgrade(req, socket, head, (ws) => join(room, ws));
});

function join(roomName: string, ws: WebSocket): void {
  let room = rooms.get(roomName);
  if (!room) {
    room = new Set();
    rooms.set(roomName, room);
  }
  const peers = room;
  peers.add(ws);
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    peers.delete(ws);
    if (peers.size === 0) rooms.delete(roomName);
  });
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary || data.length < 2) return;
    const type = data[0];
    if (type === MESSAGE_SYNC) {
      const step = data[1];
      if (step === SYNC_STEP1) ws.send(snapshotSteps.get(roomName) ?? EMPTY_STEP2);
      if (step !== SYNC_UPDATE) return;
    } else if (type !== MESSAGE_AWARENESS) {
      return;
    }
    for (const peer of peers) if (peer !== ws) peer.send(data);
  });
  // Like the other servers, ask the client for its state; the answer (a step 2) is dropped.
  ws.send(Uint8Array.of(MESSAGE_SYNC, SYNC_STEP1, 1, 0));
}

http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port })}\n`);
});

const shutdown = (): void => {
  for (const ws of wss.clients) ws.terminate();
  http.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
