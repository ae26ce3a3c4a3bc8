import pino from 'pino';

/**
 * One structured logger. Request logs carry method, path and status only: query strings and
 * bodies may hold personal data (validation of records), so they are never logged.
 */
export function createLogger(level: string): pino.Logger {
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
export type Logger = pino.Logger;
