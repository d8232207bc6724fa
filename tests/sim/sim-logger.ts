import type { Logger } from '../../server/logger';
import { SimFault, StorageClosed } from './sim-storage';

/** Log messages the core writes when an injected fault hits it; any other warning or error is a finding. */
const EXPECTED_UNDER_FAULTS = new Set([
  'commit failed; keeping the updates and retrying',
  'commit failed; retrying each document alone',
  'reloading the document failed; retrying',
  'could not subscribe to the bus',
  'failed to load document',
  'failed to catch up after a bus gap; retrying',
  'compaction failed; the log is kept',
]);

/**
 * The logger one simulated server process gets: every warning and error goes into the trace, and
 * one that an injected fault does not explain is reported as a failure (as is a compaction that
 * ran into storage closed by a shutdown that said it had drained, rule D8).
 */
export function simLogger(
  instanceId: string,
  note: (line: string) => void,
  fail: (message: string) => void,
  /** False once a shutdown gave up waiting (its drain timed out): then storage closes under whatever still runs. */
  drainedCleanly: () => boolean,
): Logger {
  const log =
    (level: string) =>
    (objOrMsg: unknown, maybeMsg?: string): void => {
      const msg = typeof objOrMsg === 'string' ? objOrMsg : (maybeMsg ?? '');
      const err = typeof objOrMsg === 'object' && objOrMsg !== null ? (objOrMsg as { err?: unknown }).err : undefined;
      note(`${instanceId} log ${level}: ${msg}`);
      const injected = err instanceof SimFault || err instanceof StorageClosed;
      if (EXPECTED_UNDER_FAULTS.has(msg) && injected) {
        if (err instanceof StorageClosed && msg === 'compaction failed; the log is kept' && drainedCleanly()) {
          fail(`D8: ${instanceId} closed storage under a compaction still running`);
        }
        return;
      }
      fail(`${instanceId} logged ${level}: ${msg}${err ? ` (${err instanceof Error ? err.stack : String(err)})` : ''}`);
    };
  const ignore = () => {};
  const logger = { error: log('error'), warn: log('warn'), fatal: log('fatal'), info: ignore, debug: ignore, trace: ignore, child: () => logger };
  return logger as unknown as Logger;
}
