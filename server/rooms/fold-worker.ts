/**
 * Worker thread entry: folds a stored document (snapshot and log) into one snapshot, off the
 * main thread, exactly as `buildDoc` would build it (bad entries skipped and reported); for a
 * SQLite log it reads the document itself, on a read-only connection of its own. It also reads
 * the state vector of a big snapshot. It runs at the lowest CPU priority, set by
 * `fold-worker-boot.mjs` before anything else in the thread.
 */
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { SqliteLogReader } from '../storage/sqlite/sqlite-log-reader';
import { foldHere } from './doc-folder';
import { unpackFoldRequest, type FoldRequest, type FoldResponse } from './fold-messages';

const readers = new Map<string, SqliteLogReader>();

function answer(request: FoldRequest): FoldResponse {
  if (request.kind === 'state-vector') return { id: request.id, ok: true, stateVector: Y.encodeStateVectorFromUpdate(request.snapshot) };
  if (request.kind === 'fold') return { id: request.id, ok: true, ...foldHere(unpackFoldRequest(request)) };
  let reader = readers.get(request.sqliteFile);
  if (!reader) {
    reader = new SqliteLogReader(request.sqliteFile);
    readers.set(request.sqliteFile, reader);
  }
  return { id: request.id, ok: true, ...foldHere(reader.load(request.docId)) };
}

parentPort?.on('message', (request: FoldRequest) => {
  let response: FoldResponse;
  try {
    response = answer(request);
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const transfer = !response.ok ? [] : response.snapshot ? [response.snapshot.buffer as ArrayBuffer, response.stateVector.buffer as ArrayBuffer] : [response.stateVector.buffer as ArrayBuffer];
  parentPort?.postMessage(response, transfer);
});
