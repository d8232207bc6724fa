/**
 * Child processes for the benchmarks: each pinned to one core with `taskset`, bounded by a hard
 * deadline, and killed when the run ends, whatever way it ends.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SpawnOptions {
  /** Core to pin the process to (`taskset -c`); undefined leaves it unpinned. */
  readonly cpu?: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Hard limit: the process is SIGKILLed after this many milliseconds. */
  readonly timeoutMs: number;
  /** Opens an IPC channel (the load generator's). */
  readonly ipc?: boolean;
  readonly cwd?: string;
  /** A name for log lines and errors. */
  readonly name: string;
}

/** A running child process: its lines of output, its exit, and a way to stop it. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** Resolves with the first stdout line that `match` accepts; rejects on exit or deadline. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
  /** The last lines of stderr and stdout, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has ended. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Proc>();
let exitHookInstalled = false;

/** Kills every child still alive; called on exit, signals and uncaught errors. */
function killAll(): void {
  for (const proc of live) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Node with the tsx loader, so TypeScript entry points run without a build and `pid` is node's own. */
export function nodeArgs(entry: string, extra: readonly string[] = []): string[] {
  return [...extra, '--import', 'tsx', entry];
}

export function spawnProc(command: string, args: readonly string[], options: SpawnOptions): Proc {
  installExitHook();
  const argv = options.cpu === undefined ? [command, ...args] : ['taskset', '-c', String(options.cpu), command, ...args];
  const stdio: StdioOptions = options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio,
  });
  if (child.pid === undefined) throw new Error(`${options.name}: spawn failed`);
  const pid = child.pid;

  const tailLines: string[] = [];
  const remember = (line: string): void => {
    tailLines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (tailLines.length > 30) tailLines.shift();
  };
  const lineListeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    remember(line);
    for (const listener of lineListeners) listener(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => remember(`[stderr] ${line}`));

  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(deadline);
      live.delete(proc);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const deadline = setTimeout(() => {
    process.stderr.write(`[bench] ${options.name} passed its ${options.timeoutMs} ms limit: killed\n`);
    child.kill('SIGKILL');
  }, options.timeoutMs);
  deadline.unref();

  const proc: Proc = {
    name: options.name,
    pid,
    child,
    exited,
    tail: () => tailLines.join('\n'),
    waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${options.name}: no expected output within ${timeoutMs} ms\n${proc.tail()}`));
        }, timeoutMs);
        const onLine = (line: string): void => {
          const value = match(line);
          if (value !== undefined) {
            cleanup();
            resolve(value);
          }
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          lineListeners.delete(onLine);
        };
        lineListeners.add(onLine);
        void exited.then((code) => {
          cleanup();
          reject(new Error(`${options.name} exited (${code}) before the expected output\n${proc.tail()}`));
        });
      });
    },
    async stop(graceMs = 3000): Promise<void> {
      if (!live.has(proc)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  return proc;
}

/** Parses a pino-style `{"msg":"listening","port":N}` line; every peer launcher prints one. */
export function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
    if (parsed.msg === 'listening' && typeof parsed.port === 'number') return parsed.port;
  } catch {
    // not JSON
  }
  return undefined;
}
