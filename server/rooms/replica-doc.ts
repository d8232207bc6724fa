import * as Y from 'yjs';

/** The private flag (yjs 13.6) that makes a transaction end with Yjs's formatting cleanup. */
interface CleanupFlag {
  _needFormattingCleanup: boolean;
}

/**
 * A Y.Doc for the server's copy of a document: it holds exactly the updates applied to it and
 * never changes the document on its own (docs/PROTOCOL.md, rule D11).
 *
 * After every remote transaction, Yjs tidies redundant bold/italic markers of a Y.Text in a
 * local transaction of its own, and which markers it removes depends on the order and grouping
 * in which the updates arrived. Clients send that tidying on like any edit; the server commits
 * and relays only what peers send, so its own tidying would stay in its copy alone, reach
 * clients in sync answers and never be stored (found by the simulation, seed 6315 in
 * tests/sim/regressions.test.ts). Skipping it keeps every server copy built from the same
 * updates (a room, a cold load, a fold, a catch-up) identical.
 */
export function newReplicaDoc(): Y.Doc {
  const doc = new Y.Doc({ gcFilter: gcAll });
  // Y.Doc listens to its own 'load' and 'sync' events, which providers emit to fill `whenLoaded`
  // and `whenSynced`. No provider ever drives a server copy, so those listeners would wait
  // forever: they are dropped (their sets, closures and scopes: about 1 KiB a document).
  (doc as unknown as Listeners)._observers = new Map();
  (doc as unknown as { emit: typeof emitToListeners }).emit = emitToListeners;
  return doc;
}

/** Y.Doc's default filter, shared: the default parameter made a new closure for every document. */
function gcAll(): boolean {
  return true;
}

type Listeners = { _observers: Map<string, Set<(...args: unknown[]) => void>> };

/**
 * lib0's `emit` as it behaves, without its allocations for events nobody listens to. Yjs emits
 * six events per transaction, and for each lib0 made a new Map, an array and a closure even
 * with no listener: a quarter of the cost of integrating a one-character update.
 */
function emitToListeners(this: Listeners, name: string, args: unknown[]): void {
  // 'afterTransaction' is emitted just before Yjs checks the flag; cleared here, before any
  // listener, rather than by a listener of its own (a set and its entry for every document).
  if (name === 'afterTransaction') skipFormattingCleanup(args[0] as Y.Transaction);
  const listeners = this._observers.get(name);
  if (listeners === undefined) return;
  // A copy, as lib0 makes: a listener added by a listener does not get this event.
  for (const listener of Array.from(listeners)) listener(...args);
}

function skipFormattingCleanup(transaction: Y.Transaction): void {
  (transaction as unknown as CleanupFlag)._needFormattingCleanup = false;
}
