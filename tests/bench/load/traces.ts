/**
 * The real editing traces in tests/fixtures/traces (josephg/editing-traces, CC BY 4.0), turned into
 * Yjs updates on the shared type the benchmarks use.
 */
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import * as Y from 'yjs';
import { TEXT_FIELD } from './clients';

type Patch = readonly [position: number, deleted: number, inserted: string];

interface SequentialTrace {
  readonly startContent: string;
  readonly endContent: string;
  readonly txns: readonly { readonly patches: readonly Patch[] }[];
}

interface ConcurrentTrace {
  readonly kind: 'concurrent';
  readonly endContent: string;
  readonly numAgents: number;
  readonly txns: readonly { readonly parents: readonly number[]; readonly agent: number; readonly patches: readonly Patch[] }[];
}

const TRACE_DIRS = [process.env.TANDEM_TRACES, resolve(import.meta.dirname, '../../fixtures/traces')].filter(
  (dir): dir is string => typeof dir === 'string',
);

export function traceFile(name: string): string {
  for (const dir of TRACE_DIRS) {
    const file = resolve(dir, `${name}.json.gz`);
    if (existsSync(file)) return file;
  }
  throw new Error(`trace ${name}.json.gz not found in ${TRACE_DIRS.join(', ')} (set TANDEM_TRACES)`);
}

function readTrace<T>(name: string): T {
  return JSON.parse(gunzipSync(readFileSync(traceFile(name))).toString('utf8')) as T;
}

function applyPatch(text: Y.Text, [position, deleted, inserted]: Patch): void {
  if (deleted > 0) text.delete(position, deleted);
  if (inserted.length > 0) text.insert(position, inserted);
}

export interface SequentialUpdates {
  /** One update per patch, in order. */
  readonly updates: Uint8Array[];
  /** `Y.encodeStateAsUpdate` of the end state. */
  readonly snapshot: Uint8Array;
  readonly endContent: string;
}

/** Every patch of a sequential trace as its own single-edit update. */
export function sequentialUpdates(name: string): SequentialUpdates {
  const trace = readTrace<SequentialTrace>(name);
  const doc = new Y.Doc();
  doc.clientID = 1;
  const text = doc.getText(TEXT_FIELD);
  const updates: Uint8Array[] = [];
  if (trace.startContent.length > 0) text.insert(0, trace.startContent);
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (const txn of trace.txns) for (const patch of txn.patches) doc.transact(() => applyPatch(text, patch));
  if (text.toString() !== trace.endContent) throw new Error(`${name}: replay does not give endContent`);
  return { updates, snapshot: Y.encodeStateAsUpdate(doc), endContent: trace.endContent };
}

export interface ConcurrentTxn {
  readonly agent: number;
  readonly update: Uint8Array;
  /**
   * What the agent must have received before making this edit: per other agent's Yjs client id,
   * the clock its parents reached. (Delete-only parents add no clock; they gate on their
   * predecessors, which is as close as a state vector can say.)
   */
  readonly needs: readonly (readonly [client: number, clock: number])[];
}

export interface ConcurrentUpdates {
  readonly numAgents: number;
  readonly txns: readonly ConcurrentTxn[];
  readonly endContent: string;
  /** Yjs client id of each agent's edits. */
  readonly clientIds: readonly number[];
}

/**
 * A concurrent trace as Yjs updates: each agent edits its own Y.Doc, which before each edit
 * merges exactly the edits the trace says it had seen (its transaction's ancestors), so every
 * position means what it meant to its author.
 */
export function concurrentUpdates(name: string): ConcurrentUpdates {
  const trace = readTrace<ConcurrentTrace>(name);
  const clientIds = Array.from({ length: trace.numAgents }, (_, a) => 1000 + a);
  const docs = clientIds.map((id) => {
    const doc = new Y.Doc();
    doc.clientID = id;
    return doc;
  });
  const has = docs.map(() => new Uint8Array(trace.txns.length));
  const updates: Uint8Array[] = [];
  const endClock: number[] = [];
  const integrate = (agent: number, index: number): void => {
    // Iterative depth-first walk: ancestors first, each once.
    const stack: [number, boolean][] = [[index, false]];
    const seen = has[agent]!;
    while (stack.length > 0) {
      const [i, expanded] = stack.pop()!;
      if (seen[i]) continue;
      if (expanded) {
        Y.applyUpdate(docs[agent]!, updates[i]!);
        seen[i] = 1;
        continue;
      }
      stack.push([i, true]);
      for (const parent of trace.txns[i]!.parents) if (!seen[parent]) stack.push([parent, false]);
    }
  };
  const txns: ConcurrentTxn[] = trace.txns.map((txn, index) => {
    const doc = docs[txn.agent]!;
    for (const parent of txn.parents) integrate(txn.agent, parent);
    const needs = new Map<number, number>();
    for (const parent of txn.parents) {
      const author = trace.txns[parent]!.agent;
      if (author === txn.agent) continue;
      const client = clientIds[author]!;
      needs.set(client, Math.max(needs.get(client) ?? 0, endClock[parent]!));
    }
    let update: Uint8Array | undefined;
    const capture = (u: Uint8Array): void => {
      update = u;
    };
    doc.on('update', capture);
    const text = doc.getText(TEXT_FIELD);
    doc.transact(() => {
      for (const patch of txn.patches) applyPatch(text, patch);
    });
    doc.off('update', capture);
    // A transaction that changed nothing still needs a (no-op) place in the order.
    updates[index] = update ?? Y.encodeStateAsUpdate(new Y.Doc());
    has[txn.agent]![index] = 1;
    endClock[index] = Y.getState(doc.store, doc.clientID);
    return { agent: txn.agent, update: updates[index]!, needs: [...needs] };
  });
  const check = new Y.Doc();
  for (const update of updates) Y.applyUpdate(check, update);
  if (check.getText(TEXT_FIELD).toString() !== trace.endContent) throw new Error(`${name}: merged replay does not give endContent`);
  return { numAgents: trace.numAgents, txns, endContent: trace.endContent, clientIds };
}
