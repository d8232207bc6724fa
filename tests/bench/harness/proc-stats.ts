/** CPU time and memory of another process, read from /proc (Linux only). */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Total CPU time (user + system) the process has used, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may contain spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 (index 0 here); utime is field 14, stime 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size and its peak, in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  };
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A CPU-time window: `start()` then `stop()` returns the CPU milliseconds used in between. */
export function cpuWindow(pid: number): { stop(): { cpuMs: number; wallMs: number } } {
  const cpu0 = cpuMs(pid);
  const wall0 = performance.now();
  return {
    stop: () => ({ cpuMs: cpuMs(pid) - cpu0, wallMs: performance.now() - wall0 }),
  };
}

/** Calls `read` now and every `everyMs` until `stop()`, which reads once more and returns the samples. */
function sampleEvery<T>(everyMs: number, read: () => T): { stop(): T[] } {
  const samples: T[] = [];
  const take = (): void => {
    try {
      samples.push(read());
    } catch {
      // process gone
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Samples RSS periodically, for charts and peaks; `stop()` returns the samples. */
export function sampleMemory(pid: number, everyMs: number): { stop(): { atMs: number; rss: number }[] } {
  const t0 = performance.now();
  return sampleEvery(everyMs, () => ({ atMs: performance.now() - t0, rss: memory(pid).rss }));
}

/**
 * Process and steal time of every CPU of the machine, in milliseconds (from /proc/stat).
 * Interrupt time is left out: loopback networking runs there, and it is the benchmark's own.
 */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , , , steal] = line.trim().split(/\s+/).map(Number);
  return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (steal ?? 0)) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU used by everything except the given processes over a window, as a share of one core:
 * other work on the machine (a build, another test run) that makes a measurement unreliable.
 */
export function noiseWindow(pids: readonly number[]): { stop(): number } {
  const ours = (): number => pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum;
    }
  }, 0);
  const busy0 = machineBusyMs();
  const ours0 = ours();
  const wall0 = performance.now();
  return {
    stop: () => Math.max(0, (machineBusyMs() - busy0 - (ours() - ours0)) / (performance.now() - wall0)),
  };
}

/** A process's CPU time at a moment of the machine's clock (`performance.timeOrigin + performance.now()`). */
export interface CpuSample {
  readonly atEpochMs: number;
  readonly cpuMs: number;
}

/**
 * Samples a process's CPU time every `everyMs`, so the CPU of a window timed in another process
 * (the load generator's measured seconds) can be cut out of a longer one: see `cpuBetween`.
 */
export function sampleCpu(pid: number, everyMs: number): { stop(): CpuSample[] } {
  return sampleEvery(everyMs, () => ({ atEpochMs: performance.timeOrigin + performance.now(), cpuMs: cpuMs(pid) }));
}

/** CPU milliseconds used between two moments of the machine's clock, interpolated between samples. */
export function cpuBetween(samples: readonly CpuSample[], fromEpochMs: number, toEpochMs: number): number {
  const at = (t: number): number => {
    const after = samples.findIndex((s) => s.atEpochMs >= t);
    if (after <= 0) return after === 0 ? samples[0]!.cpuMs : samples.at(-1)!.cpuMs;
    const a = samples[after - 1]!;
    const b = samples[after]!;
    return a.cpuMs + ((b.cpuMs - a.cpuMs) * (t - a.atEpochMs)) / (b.atEpochMs - a.atEpochMs);
  };
  return at(toEpochMs) - at(fromEpochMs);
}

/**
 * Waits until the process uses less than `share` of a core over `windowMs` (a server finishing
 * the background work a run left it), at most `maxMs`; returns whether it did.
 */
export async function waitForIdleProcess(pid: number, share: number, windowMs: number, maxMs: number): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const window = cpuWindow(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const used = window.stop();
    if (used.cpuMs <= used.wallMs * share) return true;
  }
  return false;
}
