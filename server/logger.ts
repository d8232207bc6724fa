import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The one logger, passed down from the composition root: JSON lines on stdout for whatever
 * collects them, or readable colored lines (pino-pretty, in pino's worker thread) when stdout
 * is a terminal, as pino users expect.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', pretty = process.stdout.isTTY === true): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'tandem' },
    // Keys travel only in the `key` query parameter and Authorization header; never log either.
    redact: { paths: ['key', 'req.headers.authorization', 'authorization', '*.key'], censor: '[redacted]' },
  };
  if (!pretty) return pino(options);
  return pino({
    ...options,
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } },
  });
}
