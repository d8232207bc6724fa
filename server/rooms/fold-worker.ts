/**
 * Worker thread entry: folds a stored document (snapshot and log) into one snapshot, off the
 * main thread, exactly as `buildDoc` would build it (bad entries skipped and reported).
 */
import { parentPort } from 'node:worker_threads';
import { foldHere } from './doc-folder';
import { unpackFoldRequest, type FoldRequest, type FoldResponse } from './fold-messages';

parentPort?.on('message', (request: FoldRequest) => {
  let response: FoldResponse;
  try {
    response = { id: request.id, ok: true, ...foldHere(unpackFoldRequest(request)) };
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const transfer = response.ok ? [response.snapshot.buffer as ArrayBuffer] : [];
  parentPort?.postMessage(response, transfer);
});
