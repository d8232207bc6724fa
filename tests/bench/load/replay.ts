/** Load-generator side of the trace scenarios: concurrent replay by the trace's agents, and cold loads. */
import { readFileSync } from 'node:fs';
import * as Y from 'yjs';
import { median } from '../harness/stats';
import { openClient, type SimClient } from './clients';
import type { ColdLoadCommand, ColdLoadResult, ReplayCommand, ReplayResult } from './commands';
import { concurrentUpdates } from './traces';

/**
 * Each agent of the trace is a stock client. An agent makes its next edit as soon as its own
 * client has received every edit the trace says it had seen (its parents), and never earlier;
 * otherwise at full speed. Ends when every client holds the trace's end content.
 */
export async function replayTrace(command: ReplayCommand): Promise<ReplayResult> {
  const trace = concurrentUpdates(command.trace);
  const clients: SimClient[] = Array.from({ length: trace.numAgents }, (_, index) =>
    openClient(command.target, { presence: false, echoPresence: false, index }),
  );
  try {
    await withDeadline(Promise.all(clients.map((c) => c.synced)), command.timeoutMs, 'agents connecting');
    const queues = clients.map((_, agent) => trace.txns.filter((txn) => txn.agent === agent));
    const t0 = performance.now();
    const finished = clients.map((client, agent) => {
      const queue = queues[agent]!;
      let next = 0;
      return new Promise<void>((resolve) => {
        const ready = (needs: readonly (readonly [number, number])[]): boolean =>
          needs.every(([id, clock]) => Y.getState(client.doc.store, id) >= clock);
        const pump = (): void => {
          // Bounded bursts keep the event loop turning, so received updates get integrated.
          let burst = 0;
          while (next < queue.length && burst < 64) {
            const txn = queue[next]!;
            if (!ready(txn.needs)) return; // resumed by the next update received
            Y.applyUpdate(client.doc, txn.update);
            next += 1;
            burst += 1;
          }
          if (next >= queue.length) {
            client.doc.off('update', onUpdate);
            resolve();
          } else setImmediate(pump);
        };
        const onUpdate = (_update: Uint8Array, origin: unknown): void => {
          if (origin !== null && origin !== undefined) pump();
        };
        client.doc.on('update', onUpdate);
        pump();
      });
    });
    await withDeadline(Promise.all(finished), command.timeoutMs, 'replaying');
    const done = (): boolean => clients.every((c) => c.text.toString() === trace.endContent);
    const deadline = performance.now() + command.timeoutMs;
    while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const ms = performance.now() - t0;
    return {
      ms,
      txns: trace.txns.length,
      agents: trace.numAgents,
      matches: clients.map((c) => c.text.toString() === trace.endContent),
    };
  } finally {
    for (const client of clients) client.destroy();
  }
}

/** A new client opens the document: time from creating the provider to synced. */
export async function coldLoad(command: ColdLoadCommand): Promise<ColdLoadResult> {
  let referenceMs: number | undefined;
  let referenceFirstMs: number | undefined;
  let listenedMs: number | undefined;
  if (command.snapshotFile) {
    const snapshot = new Uint8Array(readFileSync(command.snapshotFile));
    const applyOnce = (listen: boolean): number => {
      const doc = new Y.Doc();
      // As a provider's document: with an `update` listener, Yjs also encodes what was applied.
      if (listen) doc.on('update', () => {});
      const t0 = performance.now();
      Y.applyUpdate(doc, snapshot);
      return performance.now() - t0;
    };
    referenceFirstMs = applyOnce(false); // the first one also warms the JIT up
    applyOnce(true);
    // Interleaved, so both are timed as warm as each other.
    const bare: number[] = [];
    const listened: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      bare.push(applyOnce(false));
      listened.push(applyOnce(true));
    }
    referenceMs = median(bare);
    listenedMs = median(listened);
  }
  const t0 = performance.now();
  const client = openClient(command.target, { presence: false, echoPresence: false, index: 0 });
  try {
    await withDeadline(client.synced, command.timeoutMs, 'cold load');
    const expected = command.expectedLength;
    if (expected !== undefined && client.text.length !== expected) {
      await withDeadline(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (client.text.length !== expected) return;
            client.doc.off('update', check);
            resolve();
          };
          client.doc.on('update', check);
        }),
        command.timeoutMs,
        'cold load content',
      ).catch(() => undefined); // a wrong length is reported by the caller's text check
    }
    const ms = performance.now() - t0;
    const text = client.text.toString();
    return { ms, length: text.length, referenceMs, referenceFirstMs, listenedMs, text: command.returnText ? text : undefined };
  } finally {
    client.destroy();
  }
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
