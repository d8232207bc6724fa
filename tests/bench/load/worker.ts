/**
 * The load generator: a child process (pinned to its own core by the orchestrator) holding many
 * simulated clients, driven by commands over IPC (see commands.ts). Latency is measured here:
 * every edit's send time is kept by (client id, clock), and each receiving client records when
 * the edit reached it; all clients share this process's clock.
 *
 * Each document gets a few stock clients (the server's own client library, integrating every
 * update into a Y.Doc; their final texts are compared) and, beyond those, light clients (same
 * bytes on the wire, no integration; see light-client.ts).
 */
import * as Y from 'yjs';
import { StockClient, TEXT_FIELD, type BenchClient } from './clients';
import { LightClient } from './light-client';
import { DeliveryTracker } from './tracker';
import type { LoadAnswer, LoadCommand, TypeResult, VerifyResult } from './commands';
import { coldLoad, replayTrace } from './replay';
import { durable } from './durable';

interface Group {
  readonly clients: BenchClient[];
}

let groups: Group[] = [];
const tracker = new DeliveryTracker();

async function connect(command: Extract<LoadCommand, { kind: 'connect' }>): Promise<LoadAnswer> {
  const t0 = performance.now();
  const opens: (() => Promise<void>)[] = [];
  for (const target of command.targets) {
    const group: Group = { clients: [] };
    groups.push(group);
    for (let i = 0; i < command.clientsPerTarget; i += 1) {
      opens.push(() => {
        const options = { presence: command.presence, echoPresence: command.echoPresence ?? true, index: i };
        const client: BenchClient =
          i < command.stockPerTarget
            ? new StockClient(target, tracker, options)
            : new LightClient(target, tracker, { ...options, keepUpdates: i < command.stockPerTarget + command.keptPerTarget });
        group.clients.push(client);
        return client.synced;
      });
    }
  }
  // `concurrency` connections opening at a time.
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < opens.length) {
      const open = opens[next]!;
      next += 1;
      await open();
    }
  };
  await withTimeout(
    Promise.all(Array.from({ length: Math.min(command.concurrency, opens.length) }, lane)),
    command.timeoutMs,
    `connecting ${opens.length} clients`,
  );
  return { kind: 'connected', ms: performance.now() - t0, clients: opens.length };
}

async function type(command: Extract<LoadCommand, { kind: 'type' }>): Promise<LoadAnswer> {
  tracker.resetStep();
  // Round-robin over documents, then over each document's writers.
  const writers = groups.map((g) => g.clients.slice(0, command.writers ?? g.clients.length));
  const order: { client: BenchClient; receivers: number }[] = [];
  const widest = Math.max(0, ...writers.map((w) => w.length));
  for (let i = 0; i < widest; i += 1) {
    writers.forEach((w, g) => {
      const client = w[i];
      if (client) order.push({ client, receivers: groups[g]!.clients.length - 1 });
    });
  }
  if (order.length === 0) throw new Error('no clients to type');
  let edits = 0;
  let expected = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const total = Math.max(1, Math.round((command.rate * command.durationMs) / 1000));
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * command.rate) / 1000) + 1);
      while (edits < due) {
        const { client, receivers } = order[edits % order.length]!;
        client.edit();
        edits += 1;
        expected += receivers;
      }
      if (edits >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const typingMs = performance.now() - t0;
  const deadline = performance.now() + command.drainTimeoutMs;
  while (tracker.delivered < expected && performance.now() < deadline) await sleep(2);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const result: TypeResult = {
    edits,
    expected,
    delivered: tracker.delivered,
    latency: tracker.histogram.toJSON(),
    wallMs,
    loadCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    achievedRate: (edits * 1000) / typingMs,
  };
  return { kind: 'typed', ...result };
}

/**
 * Convergence: every client has received every edit of every other client of its document;
 * the stock clients' texts are equal; and the kept light clients' updates, applied to a fresh
 * Y.Doc, give that same text.
 */
function check(): VerifyResult {
  let clients = 0;
  for (const [g, group] of groups.entries()) {
    for (const [i, client] of group.clients.entries()) {
      clients += 1;
      for (const writer of group.clients) {
        if (writer === client || writer.clock === 0) continue;
        const got = client.coverage.through(writer.clientID);
        if (got < writer.clock) {
          return { converged: false, clients, detail: `document ${g}: client ${i} has ${got} of ${writer.clock} edits of a writer` };
        }
      }
    }
    const stock = group.clients.filter((c): c is StockClient => c instanceof StockClient);
    const want = stock[0]?.sim.text.toString();
    if (want === undefined) continue;
    for (const [i, client] of stock.entries()) {
      if (client.sim.text.toString() !== want) return { converged: false, clients, detail: `document ${g}: stock client ${i} text differs` };
    }
    for (const [i, client] of group.clients.entries()) {
      if (!(client instanceof LightClient) || client.received.length === 0) continue;
      const doc = new Y.Doc();
      Y.transact(doc, () => {
        for (const update of client.received) Y.applyUpdate(doc, update);
      });
      // The light client's own edits never come back to it; add them from its own doc.
      Y.applyUpdate(doc, client.ownState());
      if (doc.getText(TEXT_FIELD).toString() !== want) {
        return { converged: false, clients, detail: `document ${g}: light client ${i} rebuilt a different text` };
      }
    }
  }
  return { converged: true, clients, detail: 'every client received every edit; texts equal' };
}

async function verify(command: Extract<LoadCommand, { kind: 'verify' }>): Promise<LoadAnswer> {
  const deadline = performance.now() + command.timeoutMs;
  let result = check();
  while (!result.converged && performance.now() < deadline) {
    await sleep(50);
    result = check();
  }
  return { kind: 'verified', ...result };
}

async function close(): Promise<LoadAnswer> {
  const t0 = performance.now();
  for (const group of groups) for (const client of group.clients) client.destroy();
  groups = [];
  tracker.forget();
  // Let the close frames go out before answering.
  await sleep(200);
  return { kind: 'closed', ms: performance.now() - t0 };
}

async function handle(command: LoadCommand): Promise<LoadAnswer> {
  switch (command.kind) {
    case 'connect':
      return connect(command);
    case 'type':
      return type(command);
    case 'verify':
      return verify(command);
    case 'close':
      return close();
    case 'replay':
      return { kind: 'replayed', ...(await replayTrace(command)) };
    case 'cold-load':
      return { kind: 'cold-loaded', ...(await coldLoad(command)) };
    case 'durable':
      return { kind: 'durable-done', ...(await durable(command)) };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

if (process.send) {
  const send = (answer: LoadAnswer): void => {
    process.send?.(answer);
  };
  // The orchestrator going away ends this process, whatever it was doing.
  process.on('disconnect', () => process.exit(0));
  // Exit normally on SIGTERM too, so --cpu-prof gets written.
  process.on('SIGTERM', () => process.exit(0));
  // Commands run one at a time, in order.
  let queue = Promise.resolve();
  process.on('message', (command: LoadCommand) => {
    queue = queue.then(async () => {
      try {
        send(await handle(command));
      } catch (error) {
        send({ kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    });
  });
}
