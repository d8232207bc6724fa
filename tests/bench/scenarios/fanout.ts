/**
 * Fan-out: one document, N clients all typing in turn at a fixed total edit rate, presence on
 * and off. Delivery latency (edit made in one client to its arrival in each other client),
 * server CPU per delivered edit, and server RSS per connection.
 */
import { settledRss, undisturbed, withServerAndLoad, type BenchContext } from '../harness/context';
import { cpuWindow, noiseWindow } from '../harness/proc-stats';
import { Histogram, spread, type Spread } from '../harness/stats';
import { PEERS, type PeerId } from '../peers/peers';
import { bytes, num, ratioText, spreadText, table } from '../report/format';
import { lineChart } from '../report/svg-chart';
import type { ScenarioOutput, TargetResult } from '../report/types';

/**
 * Which y-websocket client Tandem's clients are: its app's (`lib/own-presence-provider.ts`, sends
 * only its own presence) or the stock `WebsocketProvider` (re-sends everyone's). Other peers get
 * the client they ship: HocuspocusProvider, or the stock provider for y-websocket and the relay.
 */
type ClientKind = 'app' | 'stock';

interface FanoutRun {
  readonly peer: PeerId;
  readonly client: ClientKind;
  readonly clients: number;
  readonly presence: boolean;
  readonly rep: number;
  readonly p50: number;
  readonly p99: number;
  readonly edits: number;
  readonly delivered: number;
  readonly expected: number;
  readonly cpuUsPerDelivery: number;
  readonly serverCpuShare: number;
  readonly rssPerConnection: number;
  readonly loadCpuShare: number;
  /** CPU used by other processes on the machine during the run, as a share of one core. */
  readonly otherCpuShare: number;
  readonly converged: boolean;
  readonly error?: string;
}

/** Stock clients per document (the rest are light clients), and light clients that keep what they get. */
/** Typing before the measured window, for every server. */
const WARM_UP_MS = 1_000;
const STOCK = 2;
const KEPT = 2;

export async function fanout(ctx: BenchContext): Promise<ScenarioOutput> {
  const { clients: sizes, presence: presences, rate, durationMs } = ctx.profile.fanout;
  const runs: FanoutRun[] = [];
  const failures: string[] = [];
  for (let rep = 0; rep < ctx.profile.reps; rep += 1) {
    for (const clients of sizes) {
      for (const presence of presences) {
        for (const peer of ctx.peers) {
          // The relay forwards every stock client's presence echo to every other client: N² frames
          // per caret move, no floor for anything. It is the floor for document updates only.
          if (peer === 'relay' && presence) continue;
          for (const client of clientKinds(peer, presence)) {
            const label = `${rowLabel(peer, client)}, ${clients} clients, presence ${presence ? 'on' : 'off'}, rep ${rep + 1}`;
            ctx.log(`fan-out: ${label}`);
            try {
              const run = await undisturbed(ctx, ctx.profile.name === 'full' ? 3 : 1, (r) => r.otherCpuShare, () =>
                fanoutRun(ctx, peer, client, clients, presence, rate, durationMs, rep),
              );
              runs.push(run);
              if (!run.converged) failures.push(`fan-out ${label}: did not converge (${run.error ?? ''})`);
              else if (run.delivered < run.expected) failures.push(`fan-out ${label}: ${run.expected - run.delivered} deliveries lost`);
            } catch (error) {
              failures.push(`fan-out ${label}: ${(error as Error).message.split('\n')[0]}`);
            }
          }
        }
      }
    }
  }
  return report(ctx, runs, failures);
}

/** Tandem with presence on runs twice: with its app's client and with stock clients. */
function clientKinds(peer: PeerId, presence: boolean): ClientKind[] {
  if (peer !== 'tandem') return ['stock'];
  return presence ? ['app', 'stock'] : ['app'];
}

function rowLabel(peer: PeerId, client: ClientKind): string {
  if (peer !== 'tandem') return PEERS[peer].label;
  return client === 'app' ? `${PEERS[peer].label} (app client)` : `${PEERS[peer].label} (stock y-websocket clients)`;
}

async function fanoutRun(
  ctx: BenchContext,
  peer: PeerId,
  client: ClientKind,
  clients: number,
  presence: boolean,
  rate: number,
  durationMs: number,
  rep: number,
): Promise<FanoutRun> {
  return withServerAndLoad(ctx, peer, async (server, load) => {
    const target = await server.createDoc();
    const rss0 = await settledRss(server, 500);
    await load.run({
      kind: 'connect',
      targets: [target],
      clientsPerTarget: clients,
      presence,
      echoPresence: client === 'stock',
      stockPerTarget: STOCK,
      keptPerTarget: KEPT,
      concurrency: 25,
      timeoutMs: 60_000,
    });
    const rss1 = await settledRss(server, 1_000);
    // Every server types for a while first: the figures are the steady state, not the first
    // second after N connections (cold code, and the garbage connecting left).
    await load.run({ kind: 'type', rate, durationMs: WARM_UP_MS, drainTimeoutMs: 10_000 });
    const cpu = cpuWindow(server.proc.pid);
    const noise = noiseWindow([server.proc.pid, load.proc.pid, process.pid]);
    const typed = await load.run({ kind: 'type', rate, durationMs, drainTimeoutMs: 10_000 });
    const used = cpu.stop();
    const otherCpuShare = noise.stop();
    const verified = await load.run({ kind: 'verify', timeoutMs: 10_000 });
    await load.run({ kind: 'close', timeoutMs: 10_000 });
    const latency = Histogram.from(typed.latency);
    return {
      peer,
      client,
      clients,
      presence,
      rep,
      p50: latency.percentile(50),
      p99: latency.percentile(99),
      edits: typed.edits,
      delivered: typed.delivered,
      expected: typed.expected,
      cpuUsPerDelivery: (used.cpuMs * 1000) / Math.max(1, typed.delivered),
      serverCpuShare: used.cpuMs / used.wallMs,
      rssPerConnection: (rss1 - rss0) / clients,
      loadCpuShare: typed.loadCpuShare,
      otherCpuShare,
      converged: verified.converged,
      error: verified.converged ? undefined : verified.detail,
    };
  });
}

type Metric = 'p50' | 'p99' | 'cpuUsPerDelivery' | 'rssPerConnection' | 'loadCpuShare' | 'serverCpuShare' | 'otherCpuShare';

function pick(runs: readonly FanoutRun[], peer: PeerId, clients: number, presence: boolean, metric: Metric, client: ClientKind = clientKinds(peer, presence)[0]!): Spread {
  return spread(
    runs
      .filter((r) => r.peer === peer && r.client === client && r.clients === clients && r.presence === presence && r.converged)
      .map((r) => r[metric]),
  );
}

function report(ctx: BenchContext, runs: readonly FanoutRun[], failures: readonly string[]): ScenarioOutput {
  const { clients: sizes, presence: presences, rate, durationMs } = ctx.profile.fanout;
  const rows: string[][] = [];
  const targets: TargetResult[] = [];
  for (const clients of sizes) {
    for (const presence of presences) {
      for (const peer of ctx.peers) {
        if (peer === 'relay' && presence) continue;
        for (const client of clientKinds(peer, presence)) {
          const p50 = pick(runs, peer, clients, presence, 'p50', client);
          const p99 = pick(runs, peer, clients, presence, 'p99', client);
          const cpu = pick(runs, peer, clients, presence, 'cpuUsPerDelivery', client);
          const rss = pick(runs, peer, clients, presence, 'rssPerConnection', client);
          const load = pick(runs, peer, clients, presence, 'loadCpuShare', client);
          const serverCpu = pick(runs, peer, clients, presence, 'serverCpuShare', client);
          const other = pick(runs, peer, clients, presence, 'otherCpuShare', client);
          const ours = pick(runs, 'tandem', clients, presence, 'p99').median;
          const vs = peer === 'tandem' && client === 'app' ? '' : ` (${ratioText(ours, p99.median)})`;
          rows.push([
            String(clients),
            presence ? 'on' : 'off',
            rowLabel(peer, client),
            spreadText(p50, 'ms'),
            `${spreadText(p99, 'ms')}${vs}`,
            spreadText(cpu, 'µs'),
            `${num(serverCpu.median * 100, 2)} %`,
            rss.n ? `${bytes(rss.median)}` : '–',
            `${num(load.median * 100, 2)} %`,
            `${num(other.max * 100, 2)} %`,
          ]);
        }
      }
      if (!ctx.peers.includes('hocuspocus')) continue;
      const ours = (m: Metric): number => pick(runs, 'tandem', clients, presence, m).median;
      const theirs = (m: Metric): number => pick(runs, 'hocuspocus', clients, presence, m).median;
      const scenario = `fan-out, ${clients} clients, presence ${presence ? 'on' : 'off'}`;
      const check = (target: string, metric: Metric, format: (v: number) => string, share = 0.5): void => {
        const o = ours(metric);
        const t = theirs(metric);
        const measurable = Number.isFinite(o) && Number.isFinite(t);
        targets.push({
          scenario,
          target,
          ours: format(o),
          reference: `Hocuspocus ${format(t)}`,
          ratio: ratioText(o, t),
          met: measurable ? o <= t * share : null,
        });
      };
      check('p99 latency ≤ ½ Hocuspocus', 'p99', (v) => `${num(v)} ms`);
      check('server CPU per delivery ≤ 0.7× Hocuspocus', 'cpuUsPerDelivery', (v) => `${num(v)} µs`, 0.7);
      check('RSS per connection ≤ ½ Hocuspocus', 'rssPerConnection', bytes);
    }
  }
  const seriesOf = (presence: boolean, metric: 'p99' | 'rssPerConnection', scale: number) =>
    ctx.peers
      .filter((peer) => !(peer === 'relay' && presence))
      .flatMap((peer) => clientKinds(peer, presence).map((client) => ({ peer, client })))
      .map(({ peer, client }) => ({
        name: rowLabel(peer, client),
        dashed: peer === 'relay' || (client === 'stock' && peer === 'tandem'),
        points: sizes.map((clients) => ({ x: clients, y: pick(runs, peer, clients, presence, metric, client).median / scale })),
      }));
  const charts = presences.flatMap((presence) => {
    const on = presence ? 'on' : 'off';
    return [
      {
        file: `fanout-latency-presence-${on}.svg`,
        caption: `p99 delivery latency vs clients on one document, presence ${on}, ${rate} edits/s`,
        svg: lineChart({
          title: `Fan-out: p99 latency vs clients (presence ${on})`,
          xLabel: 'clients on one document',
          yLabel: 'p99 delivery latency (ms)',
          logY: true,
          series: seriesOf(presence, 'p99', 1),
        }),
      },
      {
        file: `fanout-memory-presence-${on}.svg`,
        caption: `server RSS per connection vs clients on one document, presence ${on}`,
        svg: lineChart({
          title: `Fan-out: RSS per connection vs clients (presence ${on})`,
          xLabel: 'clients on one document',
          yLabel: 'RSS per connection (KiB)',
          series: seriesOf(presence, 'rssPerConnection', 1024),
        }),
      },
    ];
  });
  // Where even the floor cannot meet "half of Hocuspocus", say so: the target is then out of reach for any server.
  const floorNotes: string[] = [];
  if (ctx.peers.includes('relay') && ctx.peers.includes('hocuspocus')) {
    for (const clients of sizes) {
      const floor = pick(runs, 'relay', clients, false, 'cpuUsPerDelivery').median;
      const theirs = pick(runs, 'hocuspocus', clients, false, 'cpuUsPerDelivery').median;
      if (Number.isFinite(floor) && Number.isFinite(theirs)) {
        floorNotes.push(`${clients} clients: the bare relay spends ${num(floor)} µs per delivery, ${ratioText(floor, theirs)} Hocuspocus's`);
      }
    }
  }
  const markdown = [
    `One document; N clients connected, every client typing in turn, ${rate} one-character edits per second in total ` +
      `for ${durationMs / 1000} s, after ${WARM_UP_MS / 1000} s of the same typing that is not measured (each at a random place; with presence on each edit also moves the writer's caret in its ` +
      `awareness state, as an editor does). Tandem runs presence on twice: with its app's client, which sends only its own ` +
      `presence (lib/own-presence-provider.ts), and with stock y-websocket clients, which re-send every entry they receive; ` +
      `Hocuspocus runs with HocuspocusProvider, which sends only its own; the targets compare the client each server ships. Latency: from the edit call in one client to its arrival in each of the N−1 others. ` +
      `Server CPU (user+system, /proc/<pid>/stat) over the typing and drain window divided by edits delivered; RSS per connection ` +
      `= (RSS with N clients synced − RSS before the first connection) / N. ${STOCK} clients per document are the stock client ` +
      `library; the rest are light clients (same bytes on the wire, no Y.Doc integration; see tests/bench/load/light-client.ts). ` +
      `Each run checks every client got every edit and the texts agree. Ratios in the p99 column are Tandem's / that peer's. ` +
      `"load gen CPU" is the load generator's share of its core: near 100 % means the figures measure it, not the server. ` +
      `"other CPU" is what every other process on the machine used meanwhile (worst repetition, share of one core); in full mode a ` +
      `run disturbed by more than 25 % above what they used before the run is repeated (up to twice) after the machine goes quiet.`,
    '',
    table(['clients', 'presence', 'server', 'p50', 'p99', 'CPU / delivery', 'server CPU', 'RSS / connection', 'load gen CPU', 'other CPU'], rows),
    '',
    floorNotes.length > 0
      ? `The floor, presence off: ${floorNotes.join('; ')}. At this rate almost every edit is alone in its event-loop turn, so ` +
        'each delivery is one socket write for every server; a server at the floor cannot spend less than that without ' +
        'holding edits back to batch them. RSS per connection at 100 clients is a few MiB in all, within one step of V8 heap growth; the 500-client rows say more.'
      : '',
  ].join('\n');
  return { id: 'fanout', title: 'Fan-out', markdown, targets, charts, failures, raw: runs };
}
