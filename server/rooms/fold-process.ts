/**
 * Fold process entry: folds a stored document (snapshot and log) into one snapshot, away from the
 * server's event loop, exactly as `buildDoc` would build it (bad entries skipped and reported);
 * for a SQLite log it reads the document itself, on a read-only connection of its own. It also
 * reads the state vector of a big snapshot. `DocFolder` starts it in the lowest CPU class, so all
 * of its threads (V8's garbage collectors and compilers included) run only when the server's
 * leave the core idle. It exits when the server does.
 */
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

process.on('message', (request: FoldRequest) => {
  let response: FoldResponse;
  try {
    response = answer(request);
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  process.send?.(response);
});
// The server closed the channel (it stopped, or no longer needs folds): nothing more will come.
process.on('disconnect', () => process.exit(0));
