/**
 * Worker thread entry: folds a stored document (snapshot and log) into one snapshot, off the
 * main thread, exactly as `buildDoc` would build it (bad entries skipped and reported).
 */
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { buildDoc } from './build-doc';
import { unpackFoldRequest, type FoldRequest, type FoldResponse } from './fold-messages';

parentPort?.on('message', (request: FoldRequest) => {
  let response: FoldResponse;
  try {
    const bad: Array<{ index: number; message: string }> = [];
    const doc = buildDoc(unpackFoldRequest(request), (index, error) => bad.push({ index, message: error instanceof Error ? error.message : String(error) }));
    const snapshot = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    response = { id: request.id, ok: true, snapshot, bad };
  } catch (error) {
    response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const transfer = response.ok ? [response.snapshot.buffer as ArrayBuffer] : [];
  parentPort?.postMessage(response, transfer);
});
