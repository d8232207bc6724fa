/**
 * Durable writes: one writer per document sends one-character updates as fast as the server
 * acknowledges them as durable (Tandem's Saved message), keeping at most `window` unacknowledged.
 * The updates are made before the clock starts (each writer appends to its own Y.Doc), so the
 * load generator only frames and sends bytes while it measures: making a Yjs edit costs 7 to
 * 20 µs, which at 100,000 updates/s would be more than its whole core. Enough are made for the
 * fastest rate the run could see; making more while measuring is a fallback the result reports.
 */
import * as Y from 'yjs';
import { Histogram } from '../harness/stats';
import type { DurableResult, LoadCommand } from './commands';
import { TEXT_FIELD } from './clients';
import { LightClient } from './light-client';
import { DeliveryTracker } from './tracker';

/**
 * The rate (updates/s, all writers together) the updates made beforehand are sized for when the
 * writers go as fast as acknowledgements allow: well above the target (the max phase has reached
 * 175,000/s), so a fast server does not wait on the load generator's Yjs. A paced run makes its
 * rate's worth and a fifth more.
 */
export const PREPARED_FOR_RATE = 250_000;
/** Made per writer at a time if a server outruns what was made anyway. */
const MORE = 2_000;

interface Writer {
  readonly client: LightClient;
  readonly doc: Y.Doc;
  readonly updates: Uint8Array[];
  readonly sentAt: number[];
  sent: number;
  committed: number;
}

function prepare(writer: Writer, count: number): void {
  const text = writer.doc.getText(TEXT_FIELD);
  const capture = (update: Uint8Array): void => {
    writer.updates.push(update);
  };
  writer.doc.on('update', capture);
  for (let i = 0; i < count; i += 1) text.insert(text.length, 'x');
  writer.doc.off('update', capture);
}

export async function durable(command: Extract<LoadCommand, { kind: 'durable' }>): Promise<DurableResult> {
  const histogram = new Histogram();
  // One writer per document: nothing is relayed to them, the tracker is only plumbing.
  const tracker = new DeliveryTracker();
  const writers: Writer[] = command.targets.map((target, index) => ({
    client: new LightClient(target, tracker, { presence: false, echoPresence: false, index, keepUpdates: false }),
    doc: new Y.Doc(),
    updates: [],
    sentAt: [],
    sent: 0,
    committed: 0,
  }));
  const preparedRate = command.rate === undefined ? PREPARED_FOR_RATE : command.rate * 1.2;
  const preparedPerWriter = Math.ceil((preparedRate * command.durationMs) / 1000 / writers.length);
  for (const writer of writers) prepare(writer, preparedPerWriter);
  let preparedWhileMeasuring = 0;
  let sent = 0;
  let committed = 0;
  let lastAck = 0;
  let stopping = false;
  try {
    await Promise.all(writers.map((w) => w.client.synced));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // Round-robin over writers with room in their window; paced to `rate` when one is given.
    let next = 0;
    const pump = (): void => {
      const due = command.rate === undefined ? Infinity : Math.floor(((performance.now() - t0) * command.rate) / 1000) + 1;
      let blocked = 0;
      while (!stopping && sent < due && blocked < writers.length) {
        const w = writers[next]!;
        next = (next + 1) % writers.length;
        if (w.sent - w.committed >= command.window) {
          blocked += 1;
          continue;
        }
        blocked = 0;
        if (w.sent >= w.updates.length) {
          prepare(w, MORE);
          preparedWhileMeasuring += MORE;
        }
        w.sentAt[w.sent] = performance.now();
        w.client.sendUpdate(w.updates[w.sent]!);
        w.sent += 1;
        sent += 1;
      }
    };
    const ticker = command.rate === undefined ? undefined : setInterval(pump, 1);
    for (const w of writers) {
      w.client.onSaved = (durable) => {
        const through = durable.get(w.doc.clientID) ?? 0;
        if (through <= w.committed) return;
        const now = performance.now();
        for (let clock = w.committed; clock < through; clock += 1) {
          const at = w.sentAt[clock];
          if (at !== undefined) histogram.record(now - at);
        }
        committed += through - w.committed;
        w.committed = through;
        lastAck = now;
        pump();
      };
    }
    pump();
    await new Promise((resolve) => setTimeout(resolve, command.durationMs));
    stopping = true;
    clearInterval(ticker);
    const deadline = performance.now() + command.timeoutMs;
    while (committed < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const cpu = process.cpuUsage(cpu0);
    return {
      committed,
      sent,
      wallMs: lastAck - t0,
      startedAtEpochMs: performance.timeOrigin + t0,
      endedAtEpochMs: performance.timeOrigin + lastAck,
      latency: histogram.toJSON(),
      loadCpuShare: (cpu.user + cpu.system) / 1000 / (performance.now() - t0),
      preparedWhileMeasuring,
    };
  } finally {
    for (const w of writers) w.client.destroy();
  }
}
