import type { Logger } from './logger';

/** Cancels a task scheduled with `Scheduler.after`; calling it twice is harmless. */
export type Cancel = () => void;

/**
 * Time and deferred work, as the core sees them. The server's core never calls `Date.now`,
 * `setImmediate` or `setTimeout` itself: it asks the scheduler, so a test can drive the same
 * code with a seeded scheduler in which one seed gives one order of events (docs/PROTOCOL.md,
 * rule T1).
 */
export interface Scheduler {
  /** Wall-clock milliseconds since the epoch (link expiry, presence timeouts, metrics). */
  now(): number;
  /** Runs `task` after the I/O of the current event-loop turn (setImmediate). */
  soon(task: () => void): void;
  /** Runs `task` once `ms` milliseconds have passed. */
  after(ms: number, task: () => void): Cancel;
}

/** setTimeout's largest delay; longer ones are re-armed when they fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A task waiting for its time; setTimeout calls `fireDelayed` with it, so no closure is made per timer. */
interface Delayed {
  readonly due: number;
  readonly task: () => void;
  readonly run: (task: () => void) => void;
  timer: NodeJS.Timeout | undefined;
}

function armDelayed(delayed: Delayed, delay: number): void {
  delayed.timer = setTimeout(fireDelayed, Math.min(Math.max(delay, 0), MAX_TIMER_MS), delayed);
  delayed.timer.unref();
}

function fireDelayed(delayed: Delayed): void {
  const left = delayed.due - Date.now();
  if (left > 0) armDelayed(delayed, left);
  else delayed.run(delayed.task);
}

/**
 * The real scheduler. A task that throws is logged and never escapes into the event loop: a bug
 * in one callback must not end the process that serves every other document.
 */
export function createNodeScheduler(logger: Logger): Scheduler {
  const run = (task: () => void): void => {
    try {
      task();
    } catch (error) {
      logger.error({ err: error }, 'a scheduled task threw; carrying on');
    }
  };
  return {
    now: () => Date.now(),
    soon(task) {
      setImmediate(run, task);
    },
    // A server keeps one pending timer or more per open document (automatic versions), so each
    // is a plain record, not a set of closures (tsx keeps function names, which makes every named
    // arrow cost about 250 bytes more).
    after(ms, task) {
      const delayed: Delayed = { due: Date.now() + ms, task, run, timer: undefined };
      armDelayed(delayed, ms);
      return () => clearTimeout(delayed.timer);
    },
  };
}
