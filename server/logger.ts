import { pino, type Logger } from 'pino';

export type { Logger };

/** The one logger: JSON lines on stdout, passed down from the composition root. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'tandem' },
    // Keys travel only in the `key` query parameter and Authorization header; never log either.
    redact: { paths: ['key', 'req.headers.authorization', 'authorization', '*.key'], censor: '[redacted]' },
  });
}
