/** CPU time and memory of another process (and the processes it started), read from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, is index 0). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may contain spaces: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Total CPU time (user + system) the process itself has used, in milliseconds. */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  // utime is field 14, stime 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/**
 * A process and every process it started that is still running (Tandem's fold process, for a
 * server): a server is measured with what it runs beside itself.
 */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${tree[i]}/task`)) {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return tree;
}

/**
 * CPU time of the processes given and everything they started, in milliseconds: each running
 * one's own, plus what the ended ones used (cutime and cstime, once their parent reaped them),
 * so the total keeps counting when a child ends. Each process counts once.
 */
export function treeCpuMs(pids: number | readonly number[]): number {
  const all = new Set((typeof pids === 'number' ? [pids] : pids).flatMap(processTree));
  let ticks = 0;
  for (const pid of all) {
    try {
      const fields = statFields(pid);
      // utime, stime, cutime, cstime: fields 14 to 17.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // Ended since the listing: its time is in its parent's cutime once reaped.
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process and everything it started that is still running, in bytes. */
export function memory(pid: number): { rss: number } {
  let rss = 0;
  for (const member of processTree(pid)) {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${member}/status`, 'utf8'));
      rss += match ? Number(match[1]) * 1024 : 0;
    } catch {
      // Ended meanwhile.
    }
  }
  return { rss };
}

/** A CPU-time window of a process and what it started: `stop()` returns the CPU milliseconds used since. */
export function cpuWindow(pid: number): { stop(): { cpuMs: number; wallMs: number } } {
  const cpu0 = treeCpuMs(pid);
  const wall0 = performance.now();
  return {
    stop: () => ({ cpuMs: treeCpuMs(pid) - cpu0, wallMs: performance.now() - wall0 }),
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
  const ours = (): number => treeCpuMs(pids);
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
 * Samples a process's CPU time (with what it started) every `everyMs`, so the CPU of a window timed in another process
 * (the load generator's measured seconds) can be cut out of a longer one: see `cpuBetween`.
 */
export function sampleCpu(pid: number, everyMs: number): { stop(): CpuSample[] } {
  return sampleEvery(everyMs, () => ({ atEpochMs: performance.timeOrigin + performance.now(), cpuMs: treeCpuMs(pid) }));
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
