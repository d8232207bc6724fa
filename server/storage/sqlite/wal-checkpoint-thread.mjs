// The WAL checkpointer's thread (see wal-checkpointer.ts): copies committed pages from the WAL
// into the database file every `intervalMs`, on a connection of its own. Plain JavaScript, so the
// thread starts without the TypeScript loader the server runs under.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, synchronous, intervalMs } = workerData;

function connect() {
  // No busy wait: a checkpoint that finds the file locked is simply tried again next time.
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    // A checkpoint syncs the WAL and the database file as the server's own connection would.
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('wal_autocheckpoint = 0');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

let db = null;
/** What the last checkpoint left: pages in the WAL, and how many of them are copied. */
let last = { log: 0, checkpointed: 0 };
const timer = setInterval(() => {
  try {
    db ??= connect();
    // PASSIVE: copies what it can without waiting for (or blocking) the server's writes.
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    // A WAL shorter than last time was rewound: everything in it is new.
    const copied = result.log < last.log ? result.checkpointed : result.checkpointed - last.checkpointed;
    last = result;
    if (copied > 0) parentPort.postMessage({ kind: 'checkpointed', pages: copied });
  } catch (error) {
    parentPort.postMessage({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}, intervalMs);

parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db?.close();
  parentPort.close();
});
