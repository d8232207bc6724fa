/** What every scenario is given: the run's profile, where to write, and the server/load lifecycle. */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type PeerId, type RunningServer } from '../peers/peers';
import { startLoadGenerator, type LoadGenerator } from '../load/load-generator';
import { memory, noiseWindow } from './proc-stats';
import type { Profile } from '../profile';

/** The server gets core 0; the load generator (and this orchestrator, mostly idle) core 1. */
export const SERVER_CPU = 0;
export const LOAD_CPU = 1;

export interface BenchContext {
  readonly profile: Profile;
  /** bench-results/<run>/ */
  readonly outDir: string;
  /** Scratch space for servers' data, removed at the end. */
  readonly tmpDir: string;
  /** Peers to include (Tandem and those given on the command line). */
  readonly peers: readonly PeerId[];
  log(message: string): void;
  /** Extra node flags for Tandem's server (e.g. --cpu-prof). */
  readonly tandemNodeFlags: readonly string[];
  /**
   * What other processes used before the run started (share of one core): kernel threads and
   * idle daemons never go to zero, so disturbance is counted above this.
   */
  readonly baselineNoise: number;
}

let serial = 0;

/**
 * Starts `peer` on the server core and one load generator on the load core, runs `body`, and
 * stops both whatever happens. Each server gets a fresh data directory, under `dataRoot` if given.
 */
export async function withServerAndLoad<T>(
  ctx: BenchContext,
  peer: PeerId,
  body: (server: RunningServer, load: LoadGenerator) => Promise<T>,
  options: { timeoutMs?: number; env?: Record<string, string>; dataRoot?: string } = {},
): Promise<T> {
  serial += 1;
  const dataDir = join(options.dataRoot ?? ctx.tmpDir, `${peer}-${serial}`);
  mkdirSync(dataDir, { recursive: true });
  const timeoutMs = options.timeoutMs ?? 240_000;
  const server = await startServer(peer, {
    cpu: SERVER_CPU,
    dataDir,
    timeoutMs,
    nodeFlags: peer === 'tandem' ? ctx.tandemNodeFlags : [],
    env: options.env,
  });
  let load: LoadGenerator | undefined;
  try {
    load = await startLoadGenerator({ cpu: LOAD_CPU, timeoutMs });
    return await body(server, load);
  } finally {
    await load?.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A fresh, empty data directory for one server run. */
export function freshDataDir(ctx: BenchContext, peer: PeerId): string {
  serial += 1;
  const dir = join(ctx.tmpDir, `${peer}-${serial}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts `peer` on the server core over an existing data directory (for restarts and cold loads). */
export function startPeer(ctx: BenchContext, peer: PeerId, dataDir: string, timeoutMs = 240_000): Promise<RunningServer> {
  return startServer(peer, {
    cpu: SERVER_CPU,
    dataDir,
    timeoutMs,
    nodeFlags: peer === 'tandem' ? ctx.tandemNodeFlags : [],
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * RSS of the server (and what it started) once it has been quiet for `settleMs` and stopped
 * moving: two reads 250 ms apart within 1 MiB, for at most 5 s more. A process the server starts
 * with it (Tandem's fold process boots in about half a second) is then counted whole in a
 * baseline, not as growth.
 */
export async function settledRss(server: RunningServer, settleMs: number): Promise<number> {
  await sleep(settleMs);
  let rss = memory(server.proc.pid).rss;
  for (let i = 0; i < 20; i++) {
    await sleep(250);
    const next = memory(server.proc.pid).rss;
    if (Math.abs(next - rss) < 1024 * 1024) return next;
    rss = next;
  }
  return rss;
}

/** Total size and latest modification of the files under `dir`. */
function dirState(dir: string): string {
  let size = 0;
  let mtime = 0;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stat = statSync(path);
        size += stat.size;
        mtime = Math.max(mtime, stat.mtimeMs);
      }
    }
  };
  walk(dir);
  return `${size}:${mtime}`;
}

/** Waits until nothing under `dir` has changed for `quietMs` (a server finishing its writes), at most `maxMs`. */
export async function waitForQuietDir(dir: string, quietMs: number, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let last = dirState(dir);
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = dirState(dir);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}

/** Other processes' CPU, above the baseline, past which a measurement counts as disturbed (share of one core). */
export const NOISE_LIMIT = 0.25;

/** Other processes' CPU over `ms` (share of one core). */
export async function measureNoise(ms: number): Promise<number> {
  const window = noiseWindow([process.pid]);
  await sleep(ms);
  return window.stop();
}

/**
 * Waits until the rest of the machine has been back near its baseline for a second (within 10 %
 * of a core), at most `maxMs`; returns whether it got quiet.
 */
export async function waitForQuiet(ctx: BenchContext, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let logged = false;
  while (Date.now() < deadline) {
    if ((await measureNoise(1_000)) < ctx.baselineNoise + 0.1) return true;
    if (!logged) ctx.log('  waiting for other processes on this machine to go quiet');
    logged = true;
  }
  return false;
}

/**
 * Runs a measurement up to `attempts` times while other processes disturb it (`noise` returns
 * their CPU share during the run), waiting for quiet in between; returns the last attempt.
 */
export async function undisturbed<T>(ctx: BenchContext, attempts: number, noise: (result: T) => number, run: () => Promise<T>): Promise<T> {
  let result = await run();
  for (let i = 1; i < attempts && noise(result) > ctx.baselineNoise + NOISE_LIMIT; i += 1) {
    ctx.log(`  disturbed (other processes used ${Math.round(noise(result) * 100)} % of a core): again`);
    await waitForQuiet(ctx, 60_000);
    result = await run();
  }
  return result;
}
