import './fast-random';
import * as prng from 'lib0/prng';
import * as Y from 'yjs';
import type { DocId } from '../../lib/doc-id';
import type { Role } from '../../lib/roles';
import { hashKey } from '../../server/access/keys';
import { createMetrics, type Metrics } from '../../server/metrics';
import { newReplicaDoc } from '../../server/rooms/replica-doc';
import type { DocLog, UpdateEntry } from '../../server/storage/doc-log';
import { randomEdit } from './edits';
import { coldLoad, contains, coversStateVector, difference, holdsAnythingOf } from './invariants';
import { MemoryDatabase } from './memory-storage';
import { drawScenario, type Scenario } from './scenario';
import { SimBusHub } from './sim-bus';
import { SimClient, type ClientConnection, type ClientWorld } from './sim-client';
import { SimInstance } from './sim-instance';
import { Channel, ServerConnection, type ToClient, type ToServer } from './sim-network';
import { SIM_EPOCH_MS, SimScheduler, WORLD } from './sim-scheduler';
import { simLogger } from './sim-logger';
import { HEALTHY_STORAGE, SimStorage, type StorageFaults } from './sim-storage';
import { Trace } from './trace';

/** Test-only changes to the simulated world, for showing that the simulation catches a bug. */
export interface SimOptions {
  /** Keep every trace line (for `--verbose`). */
  readonly verbose?: boolean;
  /** The database the run uses; a test may pass one with a deliberate bug. */
  readonly database?: () => MemoryDatabase;
  /** Wraps the log each server instance uses; a test may wrap it in a deliberate bug. */
  readonly wrapLog?: (log: DocLog, instance: { readonly scheduler: SimScheduler; readonly id: string }) => DocLog;
}

export interface SimResult {
  readonly seed: number;
  readonly hash: string;
  readonly failures: string[];
  /** How often each fault path the README promises was reached. */
  readonly coverage: Record<string, number>;
  readonly scenario: Scenario;
  readonly traceLines: string[] | null;
  readonly events: number;
}

/** How to replay one seed from the command line. */
export function replayCommand(seed: number): string {
  return `npm run sim -- --seed ${seed} --verbose`;
}

/** Virtual time for the system to settle once faults stop: longer than every retry backoff and presence timeout. */
const SETTLE_MS = 60_000;
/** How long a presence probe listens: past one renewal (15 s), short of the clients' own 30 s timeout. */
const PROBE_WAIT_MS = 16_000;
/** After everybody left: rooms unload, retries and presence sweeps run out. */
const DRAIN_MS = 40_000;

let sharedMetrics: Metrics | null = null;
/** One metrics registry per process: the core only writes to it, so runs cannot influence each other through it. */
function metrics(): Metrics {
  return (sharedMetrics ??= createMetrics());
}

interface DocLinks {
  readonly edit: string;
  readonly view: string;
}

interface Slot {
  instance: SimInstance;
  incarnation: number;
}

/** One seeded run: the world, the actions and the checks. */
class World implements ClientWorld {
  readonly scheduler = new SimScheduler();
  readonly gen: prng.PRNG;
  readonly scenario: Scenario;
  readonly db: MemoryDatabase;
  readonly trace: Trace;
  readonly failures: string[] = [];
  readonly coverage: Record<string, number> = {};
  private readonly hub: SimBusHub;
  private readonly slots: Slot[] = [];
  private readonly docIds: DocId[] = [];
  private readonly links = new Map<DocId, DocLinks>();
  readonly clients: SimClient[] = [];
  /** Everything any client received from a server, per document (rule I2). */
  private readonly receivedByDoc = new Map<DocId, Y.Doc>();
  /** Everything storage ever committed, per document, applied as it committed (what no compaction may lose). */
  private readonly durable = new Map<DocId, Y.Doc>();
  private readonly failedUpdates = new WeakSet<Uint8Array>();
  /** Appends that committed but were reported failed, until their instance commits them again. */
  private readonly ambiguous = new Map<Uint8Array, { docId: DocId; instance: string }>();
  /**
   * Updates that are durable but that no instance will ever publish: committed by a process that
   * died before it heard so. Other instances' clients miss them until their room reloads
   * (a known gap, see tests/sim/README.md).
   */
  private readonly unpublished = new Map<DocId, Uint8Array[]>();
  private storageFaults: StorageFaults;
  private busDrop: number;
  /** Processes whose shutdown gave up waiting for its drain (allowed after SHUTDOWN_DRAIN_MS). */
  private readonly timedOut = new Set<string>();
  /** Faults have stopped for good (the settling phase). */
  private healed = false;
  /** Clients that always connect to one instance (the presence probes). */
  private readonly pinned = new Map<SimClient, number>();
  private nextConnId = 0;
  private nextClient = 0;

  constructor(
    readonly seed: number,
    private readonly options: SimOptions,
  ) {
    this.gen = prng.create(seed);
    this.scenario = drawScenario(this.gen);
    this.storageFaults = this.scenario.storage;
    this.busDrop = this.scenario.bus.drop;
    this.db = options.database?.() ?? new MemoryDatabase();
    this.trace = new Trace(options.verbose ?? false);
    this.scheduler.onTaskError = (label, error) => this.fail(`a task (${label}) threw: ${error instanceof Error ? error.stack : String(error)}`);
    this.hub = new SimBusHub(this.scheduler, this.gen, () => ({ drop: this.busDrop, maxLatencyMs: this.scenario.bus.maxLatencyMs }), {
      delivered: (to, message, from) => this.note(`bus ${from} -> ${to} ${message.kind} ${message.docId}`, 'update' in message ? message.update : undefined),
      gap: (to, docId) => {
        this.reach('bus-gap');
        this.note(`bus gap at ${to} for ${docId}`);
      },
    });
  }

  // --- ClientWorld ---------------------------------------------------------------------------

  open(client: SimClient): ClientConnection {
    const connId = ++this.nextConnId;
    const slot = this.slots[this.pinned.get(client) ?? prng.int32(this.gen, 0, this.slots.length - 1)]!;
    const instance = slot.instance;
    const latency = this.scenario.networkLatencyMs;
    const toClient = new Channel<ToClient>(this.scheduler, this.gen, latency, 's->c', (item) => {
      if (item.kind === 'frame') this.note(`${instance.id} -> ${client.name} #${connId}`, item.frame);
      client.receive(connId, item);
    });
    if (instance.state !== 'up') {
      this.note(`${client.name} #${connId} refused: ${instance.id} is ${instance.state}`);
      toClient.send({ kind: 'close', code: 1006, reason: 'connection refused' });
      return { id: connId, send: () => {} };
    }
    const { role, wantsSavedAcks, docId, key } = client.options;
    const conn = new ServerConnection(connId, role, `${docId}-${role}`, wantsSavedAcks, instance.flusher, toClient, (code, reason) => {
      if (code === 4500 && conn.room && reason === 'storage unavailable; retry later') this.reach('backlog-full');
      this.scheduler.at(prng.int32(this.gen, 0, latency), instance.id, 'close handshake', () => instance.closed(conn));
    });
    const toServer = new Channel<ToServer>(this.scheduler, this.gen, latency, 'c->s', (item) => {
      if (item.kind === 'frame') {
        this.note(`${client.name} #${connId} -> ${instance.id}`, item.frame);
        instance.receive(conn, item.frame);
      } else {
        this.note(`${client.name} #${connId} hung up`);
        instance.closed(conn);
      }
    });
    this.note(`${client.name} #${connId} connects to ${instance.id} (${role})`);
    const arrives = prng.int32(this.gen, 0, latency);
    this.scheduler.at(arrives, instance.id, 'accept', () => void instance.accept(conn, docId, key));
    this.scheduler.at(arrives, WORLD, 'open', () => {
      // A process that died before it took the connection refuses it.
      if (instance.connections.has(conn)) client.receive(connId, { kind: 'open' });
      else client.receive(connId, { kind: 'close', code: 1006, reason: 'connection refused' });
    });
    return { id: connId, send: (item) => toServer.send(item) };
  }

  received(client: SimClient, update: Uint8Array): void {
    Y.applyUpdate(this.receivedDoc(client.options.docId), update);
  }

  saved(client: SimClient, stateVector: Uint8Array): void {
    this.reach('saved-ack');
    if (!coversStateVector(this.durableDoc(client.options.docId), stateVector)) {
      this.fail(`D2: ${client.name} was told changes are saved that storage does not hold`);
    }
  }

  closed(client: SimClient, code: number, reason: string): void {
    this.reach(`closed-${code}`);
    if (code >= 4400 && code < 4500) this.fail(`${client.name} was refused with ${code}: ${reason}`);
  }

  fail(message: string): void {
    this.note(`FAILURE ${message}`);
    this.failures.push(`t=${this.scheduler.elapsed()}ms ${message}`);
  }

  note(line: string, bytes?: Uint8Array): void {
    this.trace.add(this.scheduler.elapsed(), line, bytes);
  }

  reach(path: string): void {
    this.coverage[path] = (this.coverage[path] ?? 0) + 1;
  }

  // --- setting up ------------------------------------------------------------------------------

  async run(): Promise<void> {
    const { scenario } = this;
    this.note(`scenario ${JSON.stringify(scenario)}`);
    for (let i = 0; i < scenario.docs; i++) this.createDoc(`doc${i}` as DocId);
    for (let i = 0; i < scenario.instances; i++) {
      this.slots.push({ instance: null as unknown as SimInstance, incarnation: 0 });
      this.startInstance(i);
    }
    for (let i = 0; i < scenario.initialClients; i++) this.addClient();
    for (let i = 0; i < scenario.actions; i++) {
      await this.scheduler.runUntil(this.scheduler.now() + prng.int32(this.gen, 0, 400));
      this.act();
    }
    await this.settle();
  }

  private createDoc(docId: DocId): void {
    this.docIds.push(docId);
    const keys = { edit: `${docId}-edit-key`, view: `${docId}-view-key` };
    this.links.set(docId, keys);
    const link = (role: Role, key: string) => ({
      id: `${docId}-${role}`,
      docId,
      role,
      keyHash: hashKey(key),
      createdAt: new Date(SIM_EPOCH_MS),
      expiresAt: null,
      revokedAt: null,
    });
    this.db.createDoc(docId, link('edit', keys.edit));
    this.db.addLink(link('view', keys.view));
  }

  private startInstance(index: number): void {
    const slot = this.slots[index]!;
    slot.incarnation++;
    const id = `s${index}.${slot.incarnation}`;
    const storage = new SimStorage(this.db, this.scheduler, this.gen, id, () => this.storageFaults, {
      begin: (kind, docId) => {
        if (kind === 'compact' && prng.real53(this.gen) < this.scenario.shutdownOnCompaction && !this.healed) {
          this.scheduler.at(0, WORLD, 'shutdown on compaction', () => this.shutdown(index));
        }
        if (kind !== 'link') this.note(`${id} storage ${kind} ${docId ?? ''} begins`);
      },
      appended: (entries, outcome) => this.appended(id, entries, outcome),
      compacted: (docId, throughSeq, applied, raced) => {
        this.note(`${id} compact ${docId} through ${throughSeq}: ${applied ? 'applied' : 'refused'}, ${raced} later entries kept`);
        if (!applied) return;
        this.reach('compaction');
        if (raced > 0) this.reach('compaction-raced-appends');
      },
      loadFailed: (docId) => {
        this.reach('load-failed');
        this.note(`${id} load ${docId} fails`);
      },
    });
    slot.instance = new SimInstance({
      id,
      scheduler: this.scheduler,
      storage,
      log: this.options.wrapLog?.(storage.log, { scheduler: this.scheduler, id }) ?? storage.log,
      hub: this.hub,
      logger: simLogger(id, (line) => this.note(line), (message) => this.fail(message), () => !this.timedOut.has(id)),
      metrics: metrics(),
      committerLimits: this.scenario.committerLimits,
      minLogBytesToCompact: this.scenario.minLogBytesToCompact,
      reached: (path) => this.reach(path),
      trace: (line) => this.note(line),
    });
    this.note(`${id} starts`);
  }

  private appended(id: string, entries: readonly UpdateEntry[], outcome: 'ok' | 'failed' | 'ambiguous' | 'crash'): void {
    this.note(`${id} append of ${entries.length}: ${outcome}`);
    if (outcome === 'failed') {
      this.reach('commit-failed');
      for (const entry of entries) this.failedUpdates.add(entry.update);
      return;
    }
    if (outcome === 'ambiguous') this.reach('commit-ambiguous');
    let retried = false;
    for (const entry of entries) {
      if (outcome === 'ambiguous') this.ambiguous.set(entry.update, { docId: entry.docId, instance: id });
      else this.ambiguous.delete(entry.update);
      if (outcome === 'crash') this.neverPublished(entry.docId, entry.update);
      if (this.failedUpdates.has(entry.update)) retried = true;
      Y.applyUpdate(this.durableDoc(entry.docId), entry.update);
    }
    if (retried) this.reach('commit-retried');
  }

  private neverPublished(docId: DocId, update: Uint8Array): void {
    const list = this.unpublished.get(docId) ?? [];
    list.push(update);
    this.unpublished.set(docId, list);
  }

  /** A process is gone: what it committed without knowing will never be published. */
  private forgetInstance(id: string): void {
    for (const [update, info] of this.ambiguous) {
      if (info.instance !== id) continue;
      this.ambiguous.delete(update);
      this.neverPublished(info.docId, update);
    }
  }

  /** Whether `replica` lacks nothing of `cold` but updates no instance will ever publish (the known gap). */
  private onlyLacksUnpublished(replica: Y.Doc, cold: Y.Doc, docId: DocId): boolean {
    const updates = this.unpublished.get(docId);
    if (!updates) return false;
    const completed = newReplicaDoc();
    try {
      Y.applyUpdate(completed, Y.encodeStateAsUpdate(replica));
      for (const update of updates) Y.applyUpdate(completed, update);
      return difference(completed, cold) === null;
    } finally {
      completed.destroy();
    }
  }

  private addClient(): SimClient {
    const index = this.nextClient++;
    const docId = prng.oneOf(this.gen, this.docIds);
    const viewer = prng.real53(this.gen) < 0.25;
    const keys = this.links.get(docId)!;
    const client = new SimClient(
      {
        name: `c${index}`,
        // Distinct, seeded ids: a replica's id decides how concurrent inserts are ordered.
        clientId: 1_000 + index * 7 + prng.int32(this.gen, 0, 6),
        docId,
        key: viewer ? keys.view : keys.edit,
        role: viewer ? 'view' : 'edit',
        editsAnyway: viewer && prng.bool(this.gen),
        wantsSavedAcks: !viewer && prng.bool(this.gen),
      },
      this,
    );
    this.clients.push(client);
    this.note(`${client.name} joins ${docId} as ${client.options.role}${client.options.editsAnyway ? ' (edits anyway)' : ''}`);
    client.connect();
    return client;
  }

  // --- the seeded actions ------------------------------------------------------------------------

  private act(): void {
    const roll = prng.real53(this.gen);
    const live = this.clients.filter((c) => !c.left);
    const editors = live.filter((c) => c.options.role !== 'view' || c.options.editsAnyway);
    const pickFrom = <T>(list: T[]): T | undefined => (list.length > 0 ? list[prng.int32(this.gen, 0, list.length - 1)] : undefined);
    const { crashRate, shutdownRate } = this.scenario;
    if (roll < crashRate) return this.crash(prng.int32(this.gen, 0, this.slots.length - 1));
    if (roll < crashRate + shutdownRate) return this.shutdown(prng.int32(this.gen, 0, this.slots.length - 1));
    const r = prng.real53(this.gen);
    if (r < 0.35) {
      const client = pickFrom(editors);
      if (client) this.edit(client);
    } else if (r < 0.5) {
      // Typing: a burst of edits a few milliseconds apart, so commits queue behind each other
      // and race whatever compaction they start.
      const client = pickFrom(editors);
      if (!client) return;
      const edits = prng.int32(this.gen, 3, 12);
      let at = 0;
      for (let i = 0; i < edits; i++) {
        at += prng.int32(this.gen, 1, 30);
        this.scheduler.at(at, WORLD, 'typing', () => {
          if (!client.left) this.edit(client);
        });
      }
    } else if (r < 0.62) {
      const client = pickFrom(live);
      client?.setCursor(prng.int32(this.gen, 0, 100));
    } else if (r < 0.72) {
      const client = pickFrom(live.filter((c) => c.conn));
      if (!client) return;
      this.note(`${client.name} loses its connection`);
      client.drop();
    } else if (r < 0.78) {
      const client = pickFrom(live);
      if (!client) return;
      this.note(`${client.name} leaves`);
      client.leave();
    } else if (r < 0.88) {
      if (live.length < 8) this.addClient();
    } else if (r < 0.92) {
      const slot = pickFrom(this.slots);
      if (slot && slot.instance.state === 'up') this.hub.forceGap(slot.instance.id, (n) => prng.int32(this.gen, 0, n - 1));
    } else if (r < 0.95 && this.scenario.weather !== 'calm') {
      // A storm: storage fails much more for a while.
      this.storageFaults = { ...this.scenario.storage, appendFail: 0.6, loadFail: 0.5, stall: 0.3, maxStallMs: Math.max(this.scenario.storage.maxStallMs, 2_000) };
      this.note('storage storm begins');
      this.scheduler.at(prng.int32(this.gen, 200, 3_000), WORLD, 'storm ends', () => {
        if (this.healed) return;
        this.storageFaults = this.scenario.storage;
        this.note('storage storm ends');
      });
    }
  }

  private edit(client: SimClient): void {
    const what = randomEdit(client.doc, this.gen);
    this.note(`${client.name} edits (${what})`);
  }

  /** Kills a server process (rule I2 is checked right after: nothing anybody saw is lost). */
  private crash(index: number): void {
    const slot = this.slots[index]!;
    const instance = slot.instance;
    if (instance.state !== 'up') return;
    this.reach('crash');
    this.note(`${instance.id} is killed`);
    instance.crash();
    this.forgetInstance(instance.id);
    this.checkDurable('after a crash');
    this.scheduler.at(prng.int32(this.gen, 100, 3_000), WORLD, 'restart', () => this.startInstance(index));
  }

  private shutdown(index: number): void {
    const instance = this.slots[index]!.instance;
    if (instance.state !== 'up') return;
    this.reach('shutdown');
    if (instance.storage.pendingCount('compact') > 0) this.reach('shutdown-during-compaction');
    this.note(`${instance.id} shuts down`);
    void instance.shutdown().then((drained) => {
      this.note(`${instance.id} drained: ${drained}`);
      if (!drained) this.timedOut.add(instance.id);
      if (drained && instance.storage.pendingCount('compact') + instance.storage.pendingCount('append') > 0) {
        this.fail(`D8: ${instance.id} finished shutting down with storage writes in flight`);
      }
      instance.exit();
      this.forgetInstance(instance.id);
      this.scheduler.at(0, WORLD, 'exit', () => {
        instance.reap();
        this.scheduler.at(prng.int32(this.gen, 100, 3_000), WORLD, 'restart', () => this.startInstance(index));
      });
    });
  }

  // --- the end: heal, settle, check ----------------------------------------------------------------

  private async settle(): Promise<void> {
    this.note('faults stop');
    this.healed = true;
    this.storageFaults = HEALTHY_STORAGE;
    this.busDrop = 0;
    await this.scheduler.runUntil(this.scheduler.now() + SETTLE_MS);
    for (const client of this.clients) if (!client.left && client.shouldConnect && !client.connected) this.fail(`${client.name} is not connected after settling`);
    this.checkReplicas();
    this.checkDurable('at the end');
    await this.checkPresence();
    for (const client of this.clients) if (!client.left) client.leave();
    await this.scheduler.runUntil(this.scheduler.now() + DRAIN_MS);
    this.checkUnloaded();
  }

  /** I1: every replica that may edit and every cold load agree; I3: nothing of a view key's edits landed. */
  private checkReplicas(): void {
    for (const docId of this.docIds) {
      const cold = coldLoad(this.db, docId, (index) => this.fail(`I1: ${docId} has a stored entry that does not apply (${index})`));
      const mirror = this.durableDoc(docId);
      const lost = difference(cold, mirror);
      if (lost) this.fail(`I1: a cold load of ${docId} differs from everything ever committed: ${lost}`);
      for (const client of this.clients) {
        if (client.left || client.options.docId !== docId) continue;
        if (client.options.editsAnyway) {
          if (holdsAnythingOf(cold, client.doc.clientID)) this.fail(`I3: storage holds edits of view client ${client.name}`);
          continue;
        }
        const diff = difference(client.doc, cold);
        if (diff && this.onlyLacksUnpublished(client.doc, cold, docId)) {
          this.reach('known-unpublished-commit');
          this.note(`KNOWN ${client.name} lacks updates committed by a process that died before publishing them`);
        } else if (diff) {
          this.fail(`I1: ${client.name} and a cold load of ${docId} differ: ${diff}`);
        }
      }
      for (const viewer of this.clients) {
        if (!viewer.options.editsAnyway || viewer.options.docId !== docId) continue;
        if (holdsAnythingOf(this.receivedDoc(docId), viewer.doc.clientID)) this.fail(`I3: edits of view client ${viewer.name} reached other clients`);
      }
      cold.destroy();
    }
  }

  /** I2: everything any client received from a server is in storage, so a crash now would lose none of it. */
  private checkDurable(when: string): void {
    for (const docId of this.docIds) {
      const cold = coldLoad(this.db, docId);
      if (!contains(cold, this.receivedDoc(docId))) this.fail(`I2: ${when}, storage lacks updates of ${docId} that clients received`);
      cold.destroy();
    }
  }

  /**
   * I4, presence: a newcomer to each document on each instance is shown exactly the clients that
   * are connected, wherever they are connected: nobody who left lingers.
   */
  private async checkPresence(): Promise<void> {
    const probes: SimClient[] = [];
    for (const docId of this.docIds) {
      for (let i = 0; i < this.slots.length; i++) {
        const probe = new SimClient(
          { name: `probe-${docId}-${i}`, clientId: 900 + probes.length, docId, key: this.links.get(docId)!.view, role: 'view', editsAnyway: false, wantsSavedAcks: false },
          this,
        );
        probe.awareness.setLocalState(null);
        probes.push(probe);
        this.pinned.set(probe, i);
        probe.connect();
      }
    }
    // Presence from other instances reaches a newcomer's instance with each client's next renewal.
    await this.scheduler.runUntil(this.scheduler.now() + PROBE_WAIT_MS);
    for (const probe of probes) {
      const expected = this.clients
        .filter((c) => !c.left && c.connected && c.options.docId === probe.options.docId)
        .map((c) => c.doc.clientID)
        .sort((a, b) => a - b);
      const shown = probe.presentClients();
      if (JSON.stringify(shown) !== JSON.stringify(expected)) {
        this.fail(`I4: ${probe.name} is shown presence of ${JSON.stringify(shown)}, but ${JSON.stringify(expected)} are connected`);
      }
      const cold = coldLoad(this.db, probe.options.docId);
      const diff = difference(probe.doc, cold);
      if (diff && !this.onlyLacksUnpublished(probe.doc, cold, probe.options.docId)) this.fail(`I1: ${probe.name} differs from a cold load: ${diff}`);
      cold.destroy();
      probe.leave();
    }
  }

  /** I4: once everybody has left, every instance has unloaded everything and nothing is left running. */
  private checkUnloaded(): void {
    for (const { instance } of this.slots) {
      if (instance.state !== 'up') continue;
      const loaded = instance.registry.loadedCount;
      if (loaded > 0) this.fail(`I4: ${instance.id} still has ${loaded} documents loaded after everybody left`);
      const tasks = this.scheduler.pendingOf(instance.id);
      if (tasks.length > 0) this.fail(`I4: ${instance.id} still has tasks scheduled after everybody left: ${tasks.join(', ')}`);
      const ops = instance.storage.pendingCount();
      if (ops > 0) this.fail(`I4: ${instance.id} still has ${ops} storage calls in flight after everybody left`);
      const subs = this.hub.subscriptionCount(instance.id);
      if (subs > 0) this.fail(`I4: ${instance.id} is still subscribed to ${subs} documents after everybody left`);
      if (instance.connections.size > 0) this.fail(`I4: ${instance.id} still holds ${instance.connections.size} connections after everybody left`);
    }
  }

  private receivedDoc(docId: DocId): Y.Doc {
    let doc = this.receivedByDoc.get(docId);
    if (!doc) this.receivedByDoc.set(docId, (doc = newReplicaDoc()));
    return doc;
  }

  private durableDoc(docId: DocId): Y.Doc {
    let doc = this.durable.get(docId);
    if (!doc) this.durable.set(docId, (doc = newReplicaDoc()));
    return doc;
  }

  destroy(): void {
    for (const doc of [...this.receivedByDoc.values(), ...this.durable.values()]) doc.destroy();
    for (const client of this.clients) {
      client.awareness.destroy();
      client.doc.destroy();
    }
  }
}

/** Runs one seed to the end and checks every invariant; never throws for a finding, reports it. */
export async function runSeed(seed: number, options: SimOptions = {}): Promise<SimResult> {
  const world = new World(seed, options);
  const onRejection = (reason: unknown) => world.fail(`an unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  process.on('unhandledRejection', onRejection);
  try {
    await world.run();
  } catch (error) {
    world.fail(`the run threw: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    process.off('unhandledRejection', onRejection);
    world.destroy();
  }
  return {
    seed,
    hash: world.trace.digest(),
    failures: world.failures,
    coverage: world.coverage,
    scenario: world.scenario,
    traceLines: world.trace.lines,
    events: world.trace.count,
  };
}
