/**
 * Worker thread entry: folds a stored document (snapshot and log) into one snapshot, off the
 * main thread, exactly as `buildDoc` would build it (bad entries skipped and reported); for a
 * SQLite log it reads the document itself, on a read-only connection of its own. It also reads
 * the state vector of a big snapshot.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { SqliteLogReader } from '../storage/sqlite/sqlite-log-reader';
import { foldHere } from './doc-folder';
import { unpackFoldRequest, type FoldRequest, type FoldResponse } from './fold-messages';

/**
 * The lowest CPU priority for this thread alone (Linux names threads in /proc/thread-self), so
 * a fold takes only time the event loop leaves over, even on a server given one core.
 */
function yieldToTheEventLoop(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
  } catch {
    // Not Linux, or not allowed: the fold still runs, at the process's priority.
  }
}

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

yieldToTheEventLoop();
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
